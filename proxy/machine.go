package proxy

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
)

// Kinds of credentials passed through to the upstream (API_KEY_PASSTHROUGH), as
// named in their audit lines.
const (
	credBasic       = "basic"        // HTTP Basic: the W&B SDK's api:<key>
	credBearer      = "bearer"       // an opaque Bearer token: a W&B API key (SCIM, MCP)
	credForeignJWT  = "bearer_jwt"   // a Bearer JWT the IdP did not issue for us, e.g. W&B's own access token
	credOtherScheme = "other_scheme" // any other Authorization scheme
)

// decideMachine handles a request that carries an Authorization header: machine
// clients (the W&B SDK, CLIs, SCIM from Okta or Entra, MCP clients,
// client-credentials services) that have no browser session. ok is false when the
// request has no Authorization header.
//
//   - A Bearer JWT issued by the IdP for this client: verified like an ID token and
//     given identity headers.
//   - Any other credential — HTTP Basic, an opaque Bearer token, a Bearer JWT that
//     is not a valid one of the IdP, another scheme — with API_KEY_PASSTHROUGH=true:
//     passed upstream untouched with identity headers stripped, for the application
//     to check; one audit line names the kind, never the credential.
//   - Otherwise: 401.
func (g *Gateway) decideMachine(r *http.Request) (decision, bool) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return decision{}, false
	}
	scheme, cred, _ := strings.Cut(authz, " ")
	cred = strings.TrimSpace(cred)
	kind := credOtherScheme
	switch {
	case strings.EqualFold(scheme, "Basic"):
		kind = credBasic
	case strings.EqualFold(scheme, "Bearer") && strings.Count(cred, ".") == 2:
		d := g.decideBearer(r, cred)
		if d.verdict != unauthorizedMachine || !g.opts.APIKeyPassthrough {
			g.countTokenFailure(d)
			return d, true
		}
		why := d.reason
		if d.err != nil && why == "invalid_bearer_token" {
			why = oidcflow.Reason(d.err)
		}
		return g.passThrough(r, credForeignJWT, why), true
	case strings.EqualFold(scheme, "Bearer"):
		kind = credBearer
	}
	if g.opts.APIKeyPassthrough {
		return g.passThrough(r, kind, ""), true
	}
	return decision{verdict: unauthorizedMachine, reason: "unsupported_authorization"}, true
}

// passThrough writes the audit line of a credential sent to the upstream unverified
// and returns the passthrough decision. why says why a JWT was not accepted.
func (g *Gateway) passThrough(r *http.Request, kind, why string) decision {
	attrs := []slog.Attr{slog.Bool("audit", true), slog.String("event", "api_key_passthrough"),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("credential", kind),
		slog.String("client_ip", clientip.From(r)), slog.String("path", r.URL.Path)}
	if kind == credBasic {
		// Some clients put the API key in the user name: log a digest, never the name.
		user, _, _ := r.BasicAuth()
		attrs = append(attrs, slog.String("basic_user_sha256", shortHash(user)))
	}
	if why != "" {
		attrs = append(attrs, slog.String("not_verified", why))
	}
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "API key passed through", attrs...)
	return decision{verdict: passthrough}
}

// shortHash is the first 12 hex digits of s's SHA-256: enough to tell clients apart
// in the audit log, too little to recover a secret from.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// countTokenFailure tells the metrics hook about a bearer token the gateway refused.
func (g *Gateway) countTokenFailure(d decision) {
	h := g.opts.Hooks.TokenFailure
	switch {
	case h == nil:
	case d.reason == "invalid_bearer_token":
		h(oidcflow.Reason(d.err))
	case d.reason == "revoked_bearer_token":
		h("revoked")
	}
}

// decideBearer verifies a bearer JWT and applies the access rules to its identity.
func (g *Gateway) decideBearer(r *http.Request, raw string) decision {
	if g.opts.Flows == nil || g.opts.LoginDisabled {
		return decision{verdict: unauthorizedMachine, reason: "sso_disabled"}
	}
	flow, err := g.opts.Flows.Flow()
	if err != nil {
		return decision{verdict: unauthorizedMachine, reason: "idp_unavailable", err: err}
	}
	b, err := flow.VerifyBearer(r.Context(), raw)
	if err != nil {
		return decision{verdict: unauthorizedMachine, reason: "invalid_bearer_token", err: err}
	}
	sum := sha256.Sum256([]byte(raw))
	s := &session.Session{ID: "bearer:" + base64.RawURLEncoding.EncodeToString(sum[:12]), Identity: b.Identity,
		CreatedAt: b.IssuedAt}
	// A logout ends the bearer tokens of that IdP session or subject issued before it,
	// as it ends sessions: the same check, with the token's iat as its start.
	if g.opts.Revoker != nil {
		if err := session.CheckRevoked(r.Context(), g.opts.Revoker, s); errors.Is(err, session.ErrNoSession) {
			return decision{verdict: unauthorizedMachine, reason: "revoked_bearer_token", err: err}
		} else if err != nil {
			return decision{verdict: storeDown, err: err}
		}
		// Its IdP session becomes one a logout can name, as a sign-in's does.
		if sid := b.Identity.SessionID; sid != "" {
			if err := g.opts.Revoker.Issued(r.Context(), sid, b.Expiry); err != nil {
				return decision{verdict: storeDown, err: err}
			}
		}
	}
	return g.judge(r, s)
}

// refuseMachine answers a machine request whose credentials were not accepted.
func (g *Gateway) refuseMachine(w http.ResponseWriter, r *http.Request, d decision) error {
	attrs := []slog.Attr{slog.String("request_id", httperr.RequestID(r.Context())), slog.String("reason", d.reason),
		slog.String("client_ip", clientip.From(r)), slog.String("path", r.URL.Path)}
	if d.err != nil {
		attrs = append(attrs, slog.String("error", d.err.Error()))
	}
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "credentials refused", attrs...)
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	httperr.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": d.reason, "request_id": httperr.RequestID(r.Context())})
	return nil
}
