package doctor

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/msgraph"
	"github.com/ssogate/ssogate/oidcflow"
)

// groups reports where this IdP's groups come from when the ID token lacks them, and
// checks that source: for Entra, an application token and a Graph call when a client
// secret is set; elsewhere, that the userinfo endpoint exists.
func (p *probe) groups(ctx context.Context, d *oidcflow.Discovery) {
	cfg := p.cfg
	profile := claims.Resolve(cfg.Provider, cfg.Issuer)
	if profile.Kind != claims.KindEntra {
		switch {
		case cfg.AuthMethod != config.MethodPKCE:
			p.add(IDGroups, Pass, "from the ID token only: the implicit flow gives no access token for userinfo, so the IdP must put the groups claim in the ID token")
		case d.UserInfoEndpoint == "":
			p.add(IDGroups, Pass, "from the ID token only: the IdP's discovery document lists no userinfo_endpoint")
		default:
			p.add(IDGroups, Pass, "from the ID token, else from userinfo at "+d.UserInfoEndpoint)
		}
		return
	}
	graphURL := cfg.GraphURL
	if graphURL == "" {
		graphURL = msgraph.DefaultBaseURL(cfg.Issuer)
	}
	secret := cfg.ClientSecret.Reveal()
	if secret == "" {
		if cfg.AuthMethod == config.MethodPKCE {
			p.add(IDGroups, Pass, "from the ID token; on group overage from Microsoft Graph ("+graphURL+") with the user's access token (delegated User.Read; GroupMember.Read.All for ENTRA_GROUP_NAMES)")
			return
		}
		p.add(IDGroups, Fail, "the implicit flow puts at most 6 groups in Entra's ID token and gives no token for Microsoft Graph: "+
			"users in more groups would sign in without groups. Set OIDC_CLIENT_SECRET and add the Microsoft Graph application "+
			"permission GroupMember.Read.All with admin consent, or use OIDC_AUTH_METHOD=pkce")
		return
	}
	tokens := &msgraph.AppTokens{ClientID: cfg.ClientID, ClientSecret: secret, BaseURL: graphURL, HTTP: p.opts.Client, Now: p.opts.Now,
		TokenURL: func(tenant string) string { return msgraph.TenantTokenURL(d.TokenEndpoint, tenant) }}
	tenant := ""
	if len(cfg.AllowedTenants) > 0 {
		tenant = cfg.AllowedTenants[0]
	}
	tok, err := tokens.Token(ctx, tenant)
	if err != nil {
		p.add(IDGroups, Fail, fmt.Sprintf("%v: check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (an expired secret fails here)", err))
		return
	}
	err = msgraph.Client{BaseURL: graphURL, HTTP: p.opts.Client}.CheckGroupsReadable(ctx, tok)
	if ge, ok := err.(*msgraph.Error); ok && ge.Denied() {
		p.add(IDGroups, Fail, fmt.Sprintf("Microsoft Graph refused the application (%d %s): add the Microsoft Graph application permission "+
			"GroupMember.Read.All in the app registration's API permissions and grant admin consent", ge.Status, ge.Code))
		return
	}
	if err != nil {
		p.add(IDGroups, Fail, fmt.Sprintf("Microsoft Graph at %s did not answer: %s; let this machine reach it, or set MICROSOFT_GRAPH_URL", hostOf(graphURL), errorClass(err)))
		return
	}
	p.add(IDGroups, Pass, "from the ID token; on group overage (and for ENTRA_GROUP_NAMES) from Microsoft Graph at "+graphURL+" with an application token: the application may read groups")
}

// hostOf is rawURL's host, for messages.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return rawURL
}

// errorClass says in a few words why a call failed, without the reply's body.
func errorClass(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "connection refused"):
		return "connection refused"
	case strings.Contains(msg, "no such host"):
		return "the host name does not resolve"
	case strings.Contains(msg, "deadline exceeded"), strings.Contains(msg, "Timeout"):
		return "it timed out"
	case strings.Contains(msg, "certificate"):
		return "its TLS certificate is not trusted"
	}
	return "the call failed"
}
