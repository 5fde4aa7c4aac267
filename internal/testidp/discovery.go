package testidp

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/lestrrat-go/jwx/v2/jwt"
)

// discovery returns a fresh discovery document, after DiscoveryHook.
func (p *Provider) discovery() map[string]any {
	doc := map[string]any{
		"issuer":                                p.issuer,
		"authorization_endpoint":                p.endpoint + "/authorize",
		"token_endpoint":                        p.endpoint + "/token",
		"jwks_uri":                              p.endpoint + "/jwks",
		"userinfo_endpoint":                     p.endpoint + "/userinfo",
		"end_session_endpoint":                  p.endpoint + "/logout",
		"response_types_supported":              slices.Clone(p.responseTypes),
		"response_modes_supported":              slices.Clone(p.responseModes),
		"grant_types_supported":                 []string{"authorization_code", "implicit", "refresh_token", "client_credentials"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{p.alg.String()},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
		"scopes_supported":                      []string{"openid", "profile", "email", "groups", "offline_access"},
		"claims_supported": []string{
			"iss", "sub", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "sid", "at_hash",
			"email", "email_verified", "name", "preferred_username", "groups",
		},
	}
	if p.discoveryHook != nil {
		p.discoveryHook(doc)
	}
	return doc
}

func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, http.StatusOK, p.discovery())
}

func (p *Provider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p.jwksFetches.Add(1)
	set, err := p.publicSet()
	if err != nil {
		http.Error(w, "key set unavailable", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, set)
}

// serveLogout is the end-session endpoint. It always ends the browser's session at the
// provider, then redirects to post_logout_redirect_uri when the client (named by client_id
// or by id_token_hint's aud) registered it, and otherwise shows a signed-out page. An
// unregistered return URI is refused with 400 and no redirect.
func (p *Provider) serveLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		p.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "The sign-out request could not be read.")
		return
	}
	p.endSession(w, r)
	target := r.Form.Get("post_logout_redirect_uri")
	if target == "" {
		p.signedOutPage(w)
		return
	}
	clientIDs := []string{r.Form.Get("client_id")}
	if hint := r.Form.Get("id_token_hint"); hint != "" {
		aud, err := p.hintAudience(hint)
		if err != nil {
			p.errorPage(w, http.StatusBadRequest, "The id_token_hint was not issued by this provider.")
			return
		}
		clientIDs = append(clientIDs, aud...)
	}
	if !p.logoutURIRegistered(clientIDs, target) {
		p.errorPage(w, http.StatusBadRequest, "The post_logout_redirect_uri is not registered for this client.")
		return
	}
	u, _ := url.Parse(target) // registered, so New has parsed it
	if state := r.Form.Get("state"); state != "" {
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// logoutURIRegistered reports whether any of the named clients registered target.
func (p *Provider) logoutURIRegistered(clientIDs []string, target string) bool {
	for _, id := range clientIDs {
		if c, ok := p.clients[id]; ok && slices.Contains(c.PostLogoutRedirectURIs, target) {
			return true
		}
	}
	return false
}

// hintAudience returns the aud of an ID token this provider signed, accepting expired
// tokens as end-session id_token_hint allows.
func (p *Provider) hintAudience(hint string) ([]string, error) {
	set, err := p.publicSet()
	if err != nil {
		return nil, err
	}
	tok, err := jwt.ParseString(hint, jwt.WithKeySet(set), jwt.WithValidate(false))
	if err != nil {
		return nil, fmt.Errorf("testidp: id_token_hint: %w", err)
	}
	return tok.Audience(), nil
}
