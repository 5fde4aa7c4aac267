// Package testidp is a small OpenID provider for development and tests: discovery, JWKS,
// an HTML login form at /authorize (authorization code with PKCE S256, and the implicit
// flow with any advertised response mode including form_post), /token (authorization_code
// and rotating refresh_token grants), /userinfo and /logout (end session). For conformance
// tests it also signs tokens wrongly on purpose (Defect, SignToken, Options.IDTokenDefect).
//
// A Provider is an http.Handler serving every endpoint under its issuer URL's path. All
// state lives in memory inside the Provider; nothing is shared between providers. It is
// meant for loopback use by `ssogate demo` and by tests, never for real users.
//
// The issuer URL must be known before New, so start the listener first:
//
//	srv := httptest.NewUnstartedServer(nil)
//	p, err := testidp.New(testidp.Options{Issuer: "http://" + srv.Listener.Addr().String(), …})
//	srv.Config.Handler = p
//	srv.Start()
package testidp

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

// User is an account that can sign in at the provider.
type User struct {
	Username      string
	Password      string
	Subject       string // the sub claim; "" means "sub-" + Username
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
	Extra         map[string]any // added to ID tokens and userinfo, overriding standard claims
}

// Client is a registered relying party. An empty Secret makes it a public client.
type Client struct {
	ID                     string
	Secret                 string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
}

// Options configure a Provider. Issuer and at least one client are required.
type Options struct {
	Issuer        string           // base URL the provider is reachable at; endpoints live under its path
	Users         []User           // accounts; DemoUsers gives a ready set
	Clients       []Client         // registered relying parties
	Now           func() time.Time // clock; nil means time.Now
	Alg           string           // "RS256" (default) or "ES256"
	IDTokenTTL    time.Duration    // lifetime of ID and access tokens; 0 means one hour
	ResponseTypes []string         // advertised and accepted; nil means ["code", "id_token"]
	ResponseModes []string         // advertised and accepted; nil means ["query", "fragment", "form_post"]
	LoginNote     string           // optional text shown on the login form, e.g. the demo accounts

	// TokenHook, when set, may change an ID token's claims just before it is signed.
	TokenHook func(claims map[string]any)
	// DiscoveryHook, when set, may change the discovery document before it is served.
	DiscoveryHook func(doc map[string]any)
	// IDTokenDefect, when set, is asked before each ID token is signed (after TokenHook)
	// how to sign it wrongly; DefectNone signs it as usual. Conformance tests switch it.
	IDTokenDefect func() Defect
}

// Provider is an in-memory OpenID provider. It is safe for concurrent use.
type Provider struct {
	issuer        string
	base          string // issuer URL path without a trailing slash
	endpoint      string // issuer without a trailing slash, prefix of every endpoint URL
	now           func() time.Time
	alg           jwa.SignatureAlgorithm
	ttl           time.Duration
	responseTypes []string
	responseModes []string
	loginNote     string
	tokenHook     func(map[string]any)
	discoveryHook func(map[string]any)
	idTokenDefect func() Defect
	users         map[string]User   // by username; read-only after New
	clients       map[string]Client // by ID; read-only after New

	jwksFetches atomic.Int64

	mu sync.Mutex
	st state
}

// New validates opts, generates a signing key and returns a ready Provider.
func New(opts Options) (*Provider, error) {
	u, err := url.Parse(opts.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("testidp: issuer %q must be an http or https URL without query or fragment", opts.Issuer)
	}
	p := &Provider{
		issuer:        opts.Issuer,
		base:          strings.TrimSuffix(u.EscapedPath(), "/"),
		endpoint:      strings.TrimSuffix(opts.Issuer, "/"),
		now:           opts.Now,
		ttl:           opts.IDTokenTTL,
		responseTypes: slices.Clone(opts.ResponseTypes),
		responseModes: slices.Clone(opts.ResponseModes),
		loginNote:     opts.LoginNote,
		tokenHook:     opts.TokenHook,
		discoveryHook: opts.DiscoveryHook,
		idTokenDefect: opts.IDTokenDefect,
		users:         make(map[string]User, len(opts.Users)),
		clients:       make(map[string]Client, len(opts.Clients)),
		st:            newState(),
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.ttl <= 0 {
		p.ttl = time.Hour
	}
	if p.responseTypes == nil {
		p.responseTypes = []string{"code", "id_token"}
	}
	if p.responseModes == nil {
		p.responseModes = []string{"query", "fragment", "form_post"}
	}
	switch opts.Alg {
	case "", "RS256":
		p.alg = jwa.RS256
	case "ES256":
		p.alg = jwa.ES256
	default:
		return nil, fmt.Errorf("testidp: unsupported alg %q (want RS256 or ES256)", opts.Alg)
	}
	if err := p.addUsers(opts.Users); err != nil {
		return nil, err
	}
	if err := p.addClients(opts.Clients); err != nil {
		return nil, err
	}
	if err := p.RotateKey(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Provider) addUsers(users []User) error {
	for _, u := range users {
		if u.Username == "" {
			return errors.New("testidp: a user has no username")
		}
		if _, dup := p.users[u.Username]; dup {
			return fmt.Errorf("testidp: duplicate user %q", u.Username)
		}
		if u.Subject == "" {
			u.Subject = "sub-" + u.Username
		}
		u.Groups = slices.Clone(u.Groups)
		u.Extra = maps.Clone(u.Extra)
		p.users[u.Username] = u
	}
	return nil
}

func (p *Provider) addClients(clients []Client) error {
	for _, c := range clients {
		if c.ID == "" {
			return errors.New("testidp: a client has no ID")
		}
		if _, dup := p.clients[c.ID]; dup {
			return fmt.Errorf("testidp: duplicate client %q", c.ID)
		}
		if len(c.RedirectURIs) == 0 {
			return fmt.Errorf("testidp: client %q has no redirect URIs", c.ID)
		}
		for _, ru := range slices.Concat(c.RedirectURIs, c.PostLogoutRedirectURIs) {
			if u, err := url.Parse(ru); err != nil || !u.IsAbs() {
				return fmt.Errorf("testidp: client %q: redirect URI %q is not an absolute URL", c.ID, ru)
			}
		}
		c.RedirectURIs = slices.Clone(c.RedirectURIs)
		c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
		p.clients[c.ID] = c
	}
	return nil
}

// Issuer returns the issuer URL exactly as configured.
func (p *Provider) Issuer() string { return p.issuer }

// ServeHTTP routes a request to the endpoint named by its path below the issuer's path.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), p.base)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch rest {
	case "/.well-known/openid-configuration":
		p.serveDiscovery(w, r)
	case "/jwks":
		p.serveJWKS(w, r)
	case "/authorize":
		p.serveAuthorize(w, r)
	case "/token":
		p.serveToken(w, r)
	case "/userinfo":
		p.serveUserinfo(w, r)
	case "/logout":
		p.serveLogout(w, r)
	default:
		http.NotFound(w, r)
	}
}

// DisableUser makes username unable to sign in, refresh tokens or call userinfo.
func (p *Provider) DisableUser(username string) error {
	if _, ok := p.users[username]; !ok {
		return fmt.Errorf("testidp: unknown user %q", username)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.disabled[username] = true
	return nil
}

// activeUser returns the named user unless unknown or disabled.
func (p *Provider) activeUser(username string) (User, bool) {
	u, ok := p.users[username]
	if !ok {
		return User{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return u, !p.st.disabled[username]
}

// DemoUsers returns the demonstration accounts; each password equals the username.
func DemoUsers() []User {
	return []User{
		{
			Username: "alice", Password: "alice", Subject: "3f6c1e2a-alice",
			Email: "alice@example.com", EmailVerified: true, Name: "Alice Admin",
			Groups: []string{"wandb-admins", "ml-team"},
		},
		{
			Username: "bob", Password: "bob", Subject: "9b2d4c7e-bob",
			Email: "bob@example.com", EmailVerified: true, Name: "Bob Builder",
			Groups: []string{"ml-team"},
		},
		{
			Username: "jisoo", Password: "jisoo", Subject: "5a8e0f13-jisoo",
			Email: "jisoo@example.com", EmailVerified: true, Name: "김지수",
			Groups: []string{"ml-team"},
		},
	}
}
