package testidp

import (
	"crypto/subtle"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// oauthError is an RFC 6749 section 5.2 error response.
type oauthError struct {
	status int
	Code   string `json:"error"`
	Desc   string `json:"error_description,omitempty"`
}

func (e *oauthError) write(w http.ResponseWriter) {
	writeJSON(w, e.status, e)
}

func invalidGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: "invalid_grant", Desc: desc}
}

// tokenResponse is a successful token endpoint response.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// serveToken is the token endpoint: authorization_code (with PKCE) and refresh_token.
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		(&oauthError{status: http.StatusMethodNotAllowed, Code: "invalid_request", Desc: "use POST"}).write(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		(&oauthError{status: http.StatusBadRequest, Code: "invalid_request", Desc: "malformed form body"}).write(w)
		return
	}
	client, oerr := p.authenticateClient(w, r)
	if oerr != nil {
		oerr.write(w)
		return
	}
	var g grant
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		g, oerr = p.redeemCode(client, r.PostForm)
	case "refresh_token":
		g, oerr = p.redeemRefresh(client, r.PostForm)
	case "client_credentials":
		p.serveClientCredentials(w, client, r.PostForm.Get("scope"))
		return
	default:
		oerr = &oauthError{status: http.StatusBadRequest, Code: "unsupported_grant_type", Desc: "grant_type " + gt + " is not supported"}
	}
	if oerr != nil {
		oerr.write(w)
		return
	}
	resp, oerr := p.issueTokens(g)
	if oerr != nil {
		oerr.write(w)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// serveClientCredentials issues an application access token (no ID token) to a
// confidential client, for the scope it asked.
func (p *Provider) serveClientCredentials(w http.ResponseWriter, c Client, scope string) {
	if c.Secret == "" {
		(&oauthError{status: http.StatusUnauthorized, Code: "unauthorized_client", Desc: "a public client cannot use client_credentials"}).write(w)
		return
	}
	tok := p.store(access, grant{clientID: c.ID, scope: scope, expires: p.now().Add(p.ttl)})
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int64(p.ttl / time.Second), "scope": scope})
}

// AccessToken describes an access token the provider issued: the user it was issued
// for ("" for a client_credentials token), the client and the scope.
type AccessToken struct {
	Username, ClientID, Scope string
}

// LookupAccessToken reports what an unexpired access token stands for, for test
// doubles of resource servers (a fake Microsoft Graph).
func (p *Provider) LookupAccessToken(token string) (AccessToken, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.st.access[token]
	if !ok || !p.now().Before(g.expires) {
		return AccessToken{}, false
	}
	return AccessToken{Username: g.username, ClientID: g.clientID, Scope: g.scope}, true
}

// authenticateClient checks client_secret_basic, client_secret_post or, for a public
// client, a bare client_id.
func (p *Provider) authenticateClient(w http.ResponseWriter, r *http.Request) (Client, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return Client{}, &oauthError{status: http.StatusBadRequest, Code: "invalid_request", Desc: "malformed basic credentials"}
		}
		if formID := r.PostForm.Get("client_id"); formID != "" && formID != id {
			return Client{}, &oauthError{status: http.StatusBadRequest, Code: "invalid_request", Desc: "client_id differs from the basic credentials"}
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	c, ok := p.clients[id]
	good := ok && subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) == 1
	if !good {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="testidp"`)
		}
		return Client{}, &oauthError{status: http.StatusUnauthorized, Code: "invalid_client", Desc: "client authentication failed"}
	}
	return c, nil
}

// redeemCode consumes an authorization code; a code is gone after its first use, good or bad.
func (p *Provider) redeemCode(c Client, form url.Values) (grant, *oauthError) {
	g, ok := p.take(codes, form.Get("code"))
	switch {
	case !ok:
		return grant{}, invalidGrant("the code is invalid, expired or already used")
	case g.clientID != c.ID:
		return grant{}, invalidGrant("the code was issued to another client")
	case form.Get("redirect_uri") != g.redirectURI:
		return grant{}, invalidGrant("redirect_uri differs from the authorization request")
	case len(form.Get("code_verifier")) < minVerifierLen:
		return grant{}, invalidGrant("code_verifier is missing or too short")
	case subtle.ConstantTimeCompare([]byte(s256(form.Get("code_verifier"))), []byte(g.challenge)) != 1:
		return grant{}, invalidGrant("code_verifier does not match the code_challenge")
	}
	return g, nil
}

// redeemRefresh consumes a refresh token; the token is gone after its first use.
func (p *Provider) redeemRefresh(c Client, form url.Values) (grant, *oauthError) {
	g, ok := p.take(refresh, form.Get("refresh_token"))
	switch {
	case !ok:
		return grant{}, invalidGrant("the refresh token is invalid, expired or already used")
	case g.clientID != c.ID:
		return grant{}, invalidGrant("the refresh token was issued to another client")
	}
	g.nonce = ""
	return g, nil
}

// issueTokens mints an access token, an ID token bound to it and, with offline_access,
// a new refresh token.
func (p *Provider) issueTokens(g grant) (tokenResponse, *oauthError) {
	u, ok := p.activeUser(g.username)
	if !ok {
		return tokenResponse{}, invalidGrant("the user is disabled")
	}
	now := p.now()
	at := g
	at.expires = now.Add(p.ttl)
	resp := tokenResponse{
		AccessToken: p.store(access, at),
		TokenType:   "Bearer",
		ExpiresIn:   int64(p.ttl.Seconds()),
		Scope:       g.scope,
	}
	idt, err := p.idToken(u, g, resp.AccessToken)
	if err != nil {
		return tokenResponse{}, &oauthError{status: http.StatusInternalServerError, Code: "server_error", Desc: "the ID token could not be signed"}
	}
	resp.IDToken = idt
	if g.hasScope("offline_access") {
		rt := g
		rt.expires = now.Add(refreshTTL)
		resp.RefreshToken = p.store(refresh, rt)
	}
	return resp, nil
}

// serveUserinfo returns the claims of the user an access token was issued for.
func (p *Provider) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	var g grant
	if ok {
		p.mu.Lock()
		g, ok = p.st.access[tok]
		ok = ok && p.now().Before(g.expires)
		p.mu.Unlock()
	}
	var u User
	if ok {
		u, ok = p.activeUser(g.username)
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		(&oauthError{status: http.StatusUnauthorized, Code: "invalid_token", Desc: "the access token is invalid or expired"}).write(w)
		return
	}
	c := userClaims(u)
	maps.Copy(c, u.Extra)
	writeJSON(w, http.StatusOK, c)
}
