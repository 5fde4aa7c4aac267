package testidp

import (
	"crypto/subtle"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// authRequest is an authorization request, read from the query (GET) or carried in the
// login form's hidden fields (POST).
type authRequest struct {
	ClientID            string
	RedirectURI         string
	ResponseType        string
	ResponseMode        string
	Scope               string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              string
}

func readAuthRequest(v url.Values) authRequest {
	return authRequest{
		ClientID:            v.Get("client_id"),
		RedirectURI:         v.Get("redirect_uri"),
		ResponseType:        v.Get("response_type"),
		ResponseMode:        v.Get("response_mode"),
		Scope:               v.Get("scope"),
		State:               v.Get("state"),
		Nonce:               v.Get("nonce"),
		CodeChallenge:       v.Get("code_challenge"),
		CodeChallengeMethod: v.Get("code_challenge_method"),
		Prompt:              v.Get("prompt"),
	}
}

// values returns the request's non-empty parameters as hidden form fields.
func (a authRequest) values() []field {
	all := []field{
		{"client_id", a.ClientID}, {"redirect_uri", a.RedirectURI}, {"response_type", a.ResponseType},
		{"response_mode", a.ResponseMode}, {"scope", a.Scope}, {"state", a.State}, {"nonce", a.Nonce},
		{"code_challenge", a.CodeChallenge}, {"code_challenge_method", a.CodeChallengeMethod}, {"prompt", a.Prompt},
	}
	return slices.DeleteFunc(all, func(f field) bool { return f.Value == "" })
}

// serveAuthorize shows the login form (GET) and handles its submission (POST). The client
// and redirect URI are checked first; until both are known good nothing redirects.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	var vals url.Values
	switch r.Method {
	case http.MethodGet:
		vals = r.URL.Query()
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			p.errorPage(w, http.StatusBadRequest, "The sign-in form could not be read.")
			return
		}
		vals = r.PostForm
	default:
		w.Header().Set("Allow", "GET, POST")
		p.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed.")
		return
	}
	req := readAuthRequest(vals)
	client, ok := p.clients[req.ClientID]
	if !ok {
		p.errorPage(w, http.StatusBadRequest, "Unknown client_id.")
		return
	}
	if !slices.Contains(client.RedirectURIs, req.RedirectURI) {
		p.errorPage(w, http.StatusBadRequest, "The redirect_uri is not registered for this client.")
		return
	}
	if code, desc := p.checkAuthRequest(&req); code != "" {
		p.respondError(w, req, code, desc)
		return
	}
	if slices.Contains(strings.Fields(req.Prompt), "none") {
		s, ok := p.session(r)
		if !ok {
			p.respondError(w, req, "login_required", "The user is not signed in.")
			return
		}
		p.complete(w, req, s)
		return
	}
	if r.Method == http.MethodGet {
		p.loginPage(w, req, "", "")
		return
	}
	if vals.Get("action") == "cancel" {
		p.respondError(w, req, "access_denied", "The user cancelled the sign-in.")
		return
	}
	username := vals.Get("username")
	u, ok := p.activeUser(username)
	if !ok || subtle.ConstantTimeCompare([]byte(u.Password), []byte(vals.Get("password"))) != 1 {
		p.loginPage(w, req, username, "Invalid username or password")
		return
	}
	p.complete(w, req, p.startSession(w, u.Username))
}

// checkAuthRequest validates a request whose client and redirect URI are already good,
// settling its response mode. It returns an RFC 6749 error code and description.
func (p *Provider) checkAuthRequest(req *authRequest) (code, desc string) {
	asked := req.ResponseMode
	req.ResponseMode = "query"
	if req.ResponseType == "id_token" {
		req.ResponseMode = "fragment"
	}
	known := req.ResponseType == "code" || req.ResponseType == "id_token"
	if !known || !slices.Contains(p.responseTypes, req.ResponseType) {
		return "unsupported_response_type", "response_type must be one of " + strings.Join(p.responseTypes, ", ")
	}
	if asked != "" {
		if !slices.Contains(p.responseModes, asked) {
			return "invalid_request", "response_mode must be one of " + strings.Join(p.responseModes, ", ")
		}
		if asked == "query" && req.ResponseType != "code" {
			return "invalid_request", "response_mode query cannot carry tokens"
		}
		req.ResponseMode = asked
	}
	if !slices.Contains(strings.Fields(req.Scope), "openid") {
		return "invalid_scope", "scope must include openid"
	}
	if req.ResponseType == "code" {
		if req.CodeChallenge == "" {
			return "invalid_request", "code_challenge is required"
		}
		if req.CodeChallengeMethod != "S256" {
			return "invalid_request", "code_challenge_method must be S256"
		}
	}
	if req.ResponseType == "id_token" && req.Nonce == "" {
		return "invalid_request", "nonce is required for response_type id_token"
	}
	return "", ""
}

// complete answers a request whose user has signed in as s: a code or an ID token.
func (p *Provider) complete(w http.ResponseWriter, req authRequest, s browserSession) {
	u, ok := p.activeUser(s.username)
	if !ok {
		p.respondError(w, req, "access_denied", "The account is disabled.")
		return
	}
	g := grant{
		username: u.Username, clientID: req.ClientID, scope: req.Scope, sid: s.sid,
		authTime: s.authTime, nonce: req.Nonce, redirectURI: req.RedirectURI,
		challenge: req.CodeChallenge, expires: p.now().Add(codeTTL),
	}
	params := url.Values{}
	if req.ResponseType == "code" {
		params.Set("code", p.store(codes, g))
	} else {
		tok, err := p.idToken(u, g, "")
		if err != nil {
			p.respondError(w, req, "server_error", "The ID token could not be signed.")
			return
		}
		params.Set("id_token", tok)
	}
	if req.State != "" {
		params.Set("state", req.State)
	}
	p.respond(w, req, params)
}

func (p *Provider) respondError(w http.ResponseWriter, req authRequest, code, desc string) {
	params := url.Values{"error": {code}, "error_description": {desc}}
	if req.State != "" {
		params.Set("state", req.State)
	}
	p.respond(w, req, params)
}

// respond returns params to the client's redirect URI in the request's response mode.
func (p *Provider) respond(w http.ResponseWriter, req authRequest, params url.Values) {
	w.Header().Set("Cache-Control", "no-store")
	switch req.ResponseMode {
	case "form_post":
		fs := make([]field, 0, len(params))
		for _, k := range slices.Sorted(maps.Keys(params)) {
			fs = append(fs, field{Name: k, Value: params.Get(k)})
		}
		p.formPostPage(w, req.RedirectURI, fs)
	case "fragment":
		u, _ := url.Parse(req.RedirectURI) // registered, so New has parsed it
		u.Fragment = ""
		w.Header().Set("Location", u.String()+"#"+params.Encode())
		w.WriteHeader(http.StatusFound)
	default:
		u, _ := url.Parse(req.RedirectURI)
		q := u.Query()
		for k, v := range params {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusFound)
	}
}
