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

// renderForbidden shows the 403 page to a signed-in user the rules refuse.
func (g *Gateway) renderForbidden(w http.ResponseWriter, r *http.Request, id claims.Identity, reason string) error {
	user := id.Username
	if user == "" {
		user = id.Email
	}
	return g.opts.Renderer.Render(w, r, http.StatusForbidden, "forbidden", web.ForbiddenPage{
		User: user, Reason: reason, RequestID: httperr.RequestID(r.Context()), Banner: g.opts.Banner,
	})
}
