// Package fakewandb is a small stand-in for the authentication surfaces of a
// W&B-Server-style application, for tests of the gateway in front of it: GraphQL at
// /graphql (the SDK's Basic api:KEY, or a Bearer access token), SCIM at /scim/Users
// (Bearer API key, as Okta and Entra provisioning send it), the MCP server at /mcp
// (streamable HTTP with server-sent events, Bearer API key) and the SDK's identity
// federation at POST /oidc/token (RFC 7523 jwt-bearer grant, minting an access token
// the fake then accepts as a Bearer credential). It checks every credential itself,
// as the real application does behind API_KEY_PASSTHROUGH, and records what arrived.
package fakewandb

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Options configure the fake.
type Options struct {
	// APIKeys maps each valid API key to its user name.
	APIKeys map[string]string
	// FederationIssuer and FederationKeys are the identity provider whose JWTs the
	// SDK may exchange at /oidc/token (WANDB_IDENTITY_TOKEN_FILE); the token's sub
	// becomes the user name.
	FederationIssuer string
	FederationKeys   jwk.Set
	// AccessTokenTTL is how long a minted access token lasts; 0 means an hour.
	AccessTokenTTL time.Duration
}

// Request is what the fake saw of one request.
type Request struct {
	Method, Path string
	Header       http.Header
	User         string // the user its credential named; "" when refused or none
	Credential   string // "basic", "api_key", "access_token" or ""
}

// IdentityHeaders returns the request's headers that look like a gateway's identity
// headers (X-Auth-Request-*, in any spelling).
func (r Request) IdentityHeaders() []string {
	var out []string
	for name := range r.Header {
		if strings.HasPrefix(strings.ReplaceAll(strings.ToLower(name), "_", "-"), "x-auth-request-") {
			out = append(out, name)
		}
	}
	return out
}

// Server is the fake application; it is an http.Handler.
type Server struct {
	opts Options
	key  jwk.Key // signs access tokens, like the application's own key
	pub  jwk.Key
	mux  *http.ServeMux

	mu       sync.Mutex
	requests []Request
	sessions map[string]bool // MCP session IDs
	users    []string        // SCIM users created
}

// New builds the fake with a fresh signing key for its access tokens.
func New(opts Options) (*Server, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("fakewandb: key: %w", err)
	}
	key, err := jwk.FromRaw(priv)
	if err != nil {
		return nil, fmt.Errorf("fakewandb: key: %w", err)
	}
	pub, err := key.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("fakewandb: public key: %w", err)
	}
	if opts.AccessTokenTTL == 0 {
		opts.AccessTokenTTL = time.Hour
	}
	s := &Server{opts: opts, key: key, pub: pub, mux: http.NewServeMux(), sessions: map[string]bool{}}
	s.mux.HandleFunc("POST /graphql", s.graphql)
	s.mux.HandleFunc("GET /scim/Users", s.scimList)
	s.mux.HandleFunc("POST /scim/Users", s.scimCreate)
	s.mux.HandleFunc("POST /oidc/token", s.token)
	s.mux.HandleFunc("POST /mcp", s.mcp)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.record(r, "", "")
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	})
	return s, nil
}

// ServeHTTP serves the fake's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Requests returns what arrived so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) record(r *http.Request, user, credential string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), User: user, Credential: credential})
}

var errNoCredential = errors.New("no credential")

// authenticate checks the request's credential as the application does: Basic
// api:KEY, or Bearer with an API key or an access token this fake minted. It records
// the request either way.
func (s *Server) authenticate(r *http.Request) (user string, err error) {
	kind := ""
	defer func() { s.record(r, user, kind) }()
	if key, ok := basicAPIKey(r); ok {
		if u, found := s.opts.APIKeys[key]; found {
			kind = "basic"
			return u, nil
		}
		return "", errors.New("unknown API key")
	}
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return "", errNoCredential
	}
	if u, found := s.opts.APIKeys[cred]; found {
		kind = "api_key"
		return u, nil
	}
	tok, err := jwt.Parse([]byte(cred), jwt.WithKey(jwa.ES256, s.pub), jwt.WithValidate(true),
		jwt.WithIssuer(accessTokenIssuer), jwt.WithAudience(accessTokenIssuer))
	if err != nil {
		return "", fmt.Errorf("bearer token: %w", err)
	}
	kind = "access_token"
	return tok.Subject(), nil
}

func basicAPIKey(r *http.Request) (string, bool) {
	user, pass, ok := r.BasicAuth()
	return pass, ok && user == "api"
}

// refuse answers a request whose credential the application does not accept.
func refuse(w http.ResponseWriter, err error) {
	w.Header().Set("WWW-Authenticate", `Basic realm="W&B"`)
	writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]string{{"message": "unauthorized: " + err.Error()}}})
}

// graphql answers the SDK's viewer query with the authenticated user.
func (s *Server) graphql(w http.ResponseWriter, r *http.Request) {
	user, err := s.authenticate(r)
	if err != nil {
		refuse(w, err)
		return
	}
	var body struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Query == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []map[string]string{{"message": "a GraphQL query is required"}}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"viewer": map[string]any{"id": "VXNlcjox", "entity": user, "username": user, "flags": "{}"},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
