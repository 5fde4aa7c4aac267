package proxy

import (
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
)

// decideMachine handles a request that carries an Authorization header: machine
// clients (the W&B SDK, CLIs, client-credentials services) that have no browser
// session. ok is false when the request has no Authorization header.
//
//   - HTTP Basic with API_KEY_PASSTHROUGH=true: passed upstream with identity headers
//     stripped; the application checks the API key itself.
//   - Bearer JWT issued by the IdP for this client: verified like an ID token and
//     given identity headers.
//   - Anything else: 401.
func (g *Gateway) decideMachine(r *http.Request) (decision, bool) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return decision{}, false
	}
	scheme, cred, _ := strings.Cut(authz, " ")
	switch {
	case strings.EqualFold(scheme, "Basic") && g.opts.APIKeyPassthrough:
		user, _, _ := r.BasicAuth()
		g.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "API key passed through",
			slog.Bool("audit", true), slog.String("event", "api_key_passthrough"),
			slog.String("request_id", httperr.RequestID(r.Context())), slog.String("basic_user", user),
			slog.String("client_ip", clientip.From(r)), slog.String("path", r.URL.Path))
		return decision{verdict: passthrough}, true
	case strings.EqualFold(scheme, "Bearer") && strings.Count(cred, ".") == 2:
		return g.decideBearer(r, strings.TrimSpace(cred)), true
	}
	return decision{verdict: unauthorizedMachine, reason: "unsupported_authorization"}, true
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
	id, err := flow.VerifyBearer(r.Context(), raw)
	if err != nil {
		if h := g.opts.Hooks.TokenFailure; h != nil {
			h(oidcflow.Reason(err))
		}
		return decision{verdict: unauthorizedMachine, reason: "invalid_bearer_token", err: err}
	}
	sum := sha256.Sum256([]byte(raw))
	s := &session.Session{ID: "bearer:" + base64.RawURLEncoding.EncodeToString(sum[:12]), Identity: id}
	if rule := g.rules().Check(id); !rule.Allowed {
		return decision{verdict: forbidden, session: s, reason: rule.Reason, ruleCode: rule.Code}
	}
	return decision{verdict: allow, session: s}
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
