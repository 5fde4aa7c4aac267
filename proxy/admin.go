package proxy

import (
	"net/http"
	"slices"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/session"
)

// rules returns the access rules in force.
func (g *Gateway) rules() claims.Rules {
	if g.opts.LiveRules != nil {
		return g.opts.LiveRules()
	}
	return g.opts.Rules
}

// current returns s as the live settings see it: the role its groups map to now,
// and no email the IdP did not verify unless rules trust unverified emails. s is
// never modified (a store may share it between requests); a copy is returned when
// anything differs. The break-glass administrator's identity is fixed.
func (g *Gateway) current(s *session.Session, rules claims.Rules) *session.Session {
	id := &s.Identity
	if slices.Contains(id.AMR, claims.AMRLocalRestore) {
		return s
	}
	role := id.Role
	if g.opts.LiveRoles != nil {
		role = g.opts.LiveRoles().Role(id.Groups)
	}
	email := id.Email
	if !id.EmailVerified && !rules.InsecureAllowUnverifiedEmail {
		email = "" // a session from before emails had to be verified
	}
	if role == id.Role && email == id.Email {
		return s
	}
	c := *s
	c.Identity.Role, c.Identity.Email = role, email
	return &c
}

// isAdmin reports whether id may change the gateway's settings: role admin, or the
// break-glass administrator.
func isAdmin(id claims.Identity) bool {
	return id.Role == claims.RoleAdmin || slices.Contains(id.AMR, claims.AMRLocalRestore)
}

// ruleNotAdmin is the refusal of a signed-in user who may use the application but
// is not an administrator, on the gateway's admin pages.
const ruleNotAdmin = "not_admin"

// adminOnly lets signed-in administrators through to h with their identity in the
// request context (claims.FromContext). Others are sent to sign in (to /oidc/restore
// while LOCAL_RESTORE is on) or refused with 403.
func (g *Gateway) adminOnly(h http.Handler) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		d := g.decide(w, r)
		switch d.verdict {
		case storeDown:
			return storeError(d.err)
		case unauthenticated, passthrough, unauthorizedMachine:
			if g.opts.LoginDisabled && isNavigation(r) {
				http.Redirect(w, r, "/oidc/restore", http.StatusFound)
				return nil
			}
			return g.unauthenticated(w, r)
		case forbidden:
			return g.forbid(w, r, d)
		}
		if !isAdmin(d.session.Identity) {
			return g.forbid(w, r, decision{verdict: forbidden, session: d.session, ruleCode: ruleNotAdmin,
				reason: "Only administrators can change the gateway's settings."})
		}
		h.ServeHTTP(w, r.WithContext(claims.NewContext(r.Context(), d.session.Identity)))
		return nil
	}
}
