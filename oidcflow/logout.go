package oidcflow

import (
	"net/url"
	"strings"
)

// EndSessionURL returns where to send the browser for RP-initiated logout, or "" when
// the IdP offers none. OIDC_LOGOUT_URL (Options.LogoutURL), a template with
// {client_id}, {post_logout_redirect_uri} and {id_token_hint}, wins over discovery's
// end_session_endpoint; Cognito needs it. The ID token hint is sent when known, else
// the client ID, as OpenID Connect RP-Initiated Logout 1.0 allows.
func (f *Flow) EndSessionURL(idTokenHint, postLogoutRedirect string) string {
	if t := f.opts.LogoutURL; t != "" {
		return strings.NewReplacer(
			"{client_id}", url.QueryEscape(f.opts.ClientID),
			"{post_logout_redirect_uri}", url.QueryEscape(postLogoutRedirect),
			"{id_token_hint}", url.QueryEscape(idTokenHint),
		).Replace(t)
	}
	if f.disc.EndSessionEndpoint == "" {
		return ""
	}
	u, err := url.Parse(f.disc.EndSessionEndpoint)
	if err != nil {
		return ""
	}
	q := u.Query()
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	} else {
		q.Set("client_id", f.opts.ClientID)
	}
	if postLogoutRedirect != "" {
		q.Set("post_logout_redirect_uri", postLogoutRedirect)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
