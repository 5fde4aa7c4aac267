package proxy

import (
	"log/slog"
	"net/http"

	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/oidcflow"
)

// cookieGroupsWarnBytes is the size of a group list past which a cookie session
// grows toward the browser's cookie limits (chunked, on every request).
const cookieGroupsWarnBytes = 3 << 10

// checkGroupLookup acts on a sign-in's look-up of groups the ID token lacked. A
// failed look-up never sends a partial identity upstream unnoticed: with
// ALLOWED_GROUPS set the sign-in ends on a 403 page naming what to fix; without it
// the user signs in with DEFAULT_ROLE and an audit line says why.
func (g *Gateway) checkGroupLookup(r *http.Request, res *oidcflow.Result) error {
	g.warnLargeGroups(r, res)
	lookup := res.Groups
	if lookup == nil {
		return nil
	}
	if h := g.opts.Hooks.GroupLookup; h != nil {
		h(lookup.Source, lookup.Outcome)
	}
	if lookup.Err == nil {
		return nil
	}
	refused := lookup.Partial && len(g.rules().AllowedGroups) > 0
	outcome := "signed_in_without_groups"
	if refused {
		outcome = "refused"
	} else if !lookup.Partial {
		outcome = "ignored"
	}
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "group look-up failed",
		slog.Bool("audit", true), slog.String("event", "group_lookup"), slog.String("source", lookup.Source),
		slog.String("outcome", lookup.Outcome), slog.String("result", outcome), slog.String("error", lookup.Err.Error()),
		slog.String("fix", lookup.Fix), slog.String("sub", res.Identity.Subject), slog.String("user", res.Identity.Username),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("client_ip", clientip.From(r)))
	if !refused {
		return nil
	}
	if h := g.opts.Hooks.SignIn; h != nil {
		h("failure", "groups_unavailable")
	}
	return &httperr.HTTPError{Key: "error.groups_unavailable", Status: http.StatusForbidden, Code: "groups_unavailable", Title: "Sign-in failed",
		Message: "Your groups could not be read from the identity provider, and this application admits only " +
			"members of certain groups. Ask your administrator to fix the setting named below.",
		Detail: lookup.Fix, RetryURL: "/oidc/login"}
}

// warnLargeGroups tells the operator when a cookie session carries a group list
// large enough to strain cookies, and what to do about it.
func (g *Gateway) warnLargeGroups(r *http.Request, res *oidcflow.Result) {
	if !g.opts.CookieSessions {
		return
	}
	size := 0
	for _, grp := range res.Identity.Groups {
		size += len(grp) + 1
	}
	if size <= cookieGroupsWarnBytes {
		return
	}
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn,
		"this user's groups make the session cookie large; set SESSION_STORE=redis://… to keep sessions server-side",
		slog.String("sub", res.Identity.Subject), slog.Int("groups", len(res.Identity.Groups)), slog.Int("groups_bytes", size),
		slog.String("request_id", httperr.RequestID(r.Context())))
}
