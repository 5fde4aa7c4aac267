package proxy

import (
	"net/http"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/web"
)

// userinfo serves GET /oidc/userinfo: the signed-in identity as JSON, 401 when none.
func (g *Gateway) userinfo(w http.ResponseWriter, r *http.Request) error {
	d := g.decide(w, r)
	switch d.verdict {
	case unauthenticated:
		httperr.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthenticated", "login_url": g.absURL(r, "/oidc/login")})
		return nil
	case storeDown:
		return storeError(d.err)
	case unauthorizedMachine, passthrough:
		return g.refuseMachine(w, r, decision{verdict: unauthorizedMachine, reason: "no_identity"})
	}
	httperr.WriteJSON(w, http.StatusOK, userInfo{Identity: d.session.Identity, Allowed: d.verdict == allow, ExpiresAt: d.session.ExpiresAt.Unix()})
	return nil
}

// userInfo is the JSON body of /oidc/userinfo.
type userInfo struct {
	claims.Identity
	Allowed   bool  `json:"allowed"`
	ExpiresAt int64 `json:"session_expires_at"`
}

// renderForbidden shows the 403 page to a signed-in user the rules refuse: what is
// refused (the application, or only the gateway's settings for a non-admin), who is
// signed in, and why in the user's language when the rule is a known one.
func (g *Gateway) renderForbidden(w http.ResponseWriter, r *http.Request, id claims.Identity, d decision) error {
	name := id.Name
	if name == "" {
		name = id.Username
	}
	email := id.Email
	if name == "" || name == email {
		name, email = email, ""
	}
	return g.opts.Renderer.Render(w, r, http.StatusForbidden, web.PageForbidden, web.ForbiddenPage{
		User: name, Email: email, Settings: d.ruleCode == ruleNotAdmin,
		Reason: d.reason, ReasonKey: "forbidden.reason." + d.ruleCode, ReasonArgs: d.ruleArgs,
		RequestID: httperr.RequestID(r.Context()), Banner: g.opts.Banner,
	})
}
