package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
)

// callback serves the redirect URI of both flows: GET ?code=&state= (pkce) and the
// cross-site form_post of id_token and state (implicit).
func (g *Gateway) callback(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	cb, err := oidcflow.ParseCallback(w, r)
	if he := httperr.TooLarge(err); he != nil {
		_ = g.signInFailed(r, err, he.Status, "", "") // the audit line
		return he
	}
	if err != nil {
		return g.signInFailed(r, err, http.StatusBadRequest, "signin.unreadable", "The sign-in response could not be read.")
	}
	if cb.Error != "" && cb.State == "" {
		// Anyone can link to the callback with error_description=<any text>: without
		// the state of a sign-in this browser started, the page says nothing of it.
		code := cb.Error
		if len(code) > 64 {
			code = code[:64]
		}
		return g.signInFailed(r, fmt.Errorf("%w: an identity provider error (%q) without a state", oidcflow.ErrStateMismatch, code),
			http.StatusBadRequest, "signin.state_mismatch",
			"This sign-in response does not belong to a sign-in started in this browser, or it was already used.")
	}
	ls, err := g.takeLoginState(w, r, cb.State)
	if err != nil {
		return g.signInFailed(r, err, http.StatusBadRequest, "signin.state_mismatch",
			"This sign-in response does not belong to a sign-in started in this browser, or it was already used.")
	}
	retry := "/oidc/login?rd=" + url.QueryEscape(ls.ReturnTo)
	flow, err := g.opts.Flows.Flow()
	if err != nil {
		return g.signInFailed(r, err, http.StatusServiceUnavailable, "error.idp_unavailable", "The identity provider cannot be reached right now.", retry)
	}
	res, err := flow.Complete(r.Context(), ls, cb)
	if err != nil {
		return g.signInFailed(r, err, callbackStatus(err), "", "", retry)
	}
	// The state is marked used only once its response verified: a response anyone can
	// make up (a state of their own, a forged token) never reaches the guard, so a
	// flood of them cannot fill it.
	switch err := g.states.consume(ls.State, ls.Expires); {
	case errors.Is(err, errReplayGuardFull):
		failed := g.signInFailed(r, err, http.StatusServiceUnavailable, "signin.busy",
			"Too many sign-ins are in progress right now. Please try again in a minute.", retry)
		if he, ok := failed.(*httperr.HTTPError); ok {
			he.RetryAfter = 60
		}
		return failed
	case err != nil:
		return g.signInFailed(r, oidcflow.ErrStateReplayed, http.StatusBadRequest, "signin.replayed", "This sign-in response was already used.")
	}
	g.logWarnings(r, res.Identity.Subject, res.Warnings)
	if err := g.checkGroupLookup(r, res); err != nil {
		return err
	}
	now := g.opts.Now()
	s := &session.Session{
		ID: session.NewID(), Identity: res.Identity, CreatedAt: now, ExpiresAt: now.Add(g.opts.SessionLength),
		IDToken: res.IDToken, RefreshToken: res.RefreshToken, RefreshedAt: now,
	}
	if sid := res.Identity.SessionID; sid != "" && g.opts.Revoker != nil {
		// Only IdP sessions recorded here can be revoked by a front-channel logout.
		if err := g.opts.Revoker.Issued(r.Context(), sid, s.ExpiresAt); err != nil {
			return storeError(err)
		}
	}
	if err := g.opts.Sessions.Save(w, r, s); err != nil {
		return storeError(err)
	}
	id := res.Identity
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "sign-in succeeded",
		slog.Bool("audit", true), slog.String("event", "sign_in"), slog.String("outcome", "success"),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("user", id.Username),
		slog.String("email", id.Email), slog.String("sub", id.Subject), slog.String("idp", id.IdP),
		slog.String("issuer", id.Issuer), slog.String("method", ls.Method), slog.String("role", id.Role),
		slog.Int("groups", len(id.Groups)), slog.String("client_ip", clientip.From(r)))
	tracing.Event(r.Context(), "sign_in", "success", "ok")
	if h := g.opts.Hooks.SignIn; h != nil {
		h("success", "ok")
	}
	http.Redirect(w, r, ls.ReturnTo, http.StatusSeeOther)
	return nil
}

// logWarnings logs what the IdP should fix. A dropped email is an audit line: the
// user signed in without the address the token carried, and this says why.
func (g *Gateway) logWarnings(r *http.Request, sub string, warnings []claims.Warning) {
	for _, warn := range warnings {
		attrs := []slog.Attr{slog.String("request_id", httperr.RequestID(r.Context())), slog.String("code", warn.Code),
			slog.String("sub", sub)}
		if warn.Code == claims.WarnEmailUnverified || warn.Code == claims.WarnEmailNotVerified {
			attrs = append(attrs, slog.Bool("audit", true), slog.String("event", "email_unverified"))
		}
		g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, warn.Message, attrs...)
	}
}

// signInFailed writes the audit line for a failed sign-in and returns the page to show.
// key names the page's text in the web string tables and message is that text in
// English, for the log and JSON; both are chosen from err when empty.
func (g *Gateway) signInFailed(r *http.Request, err error, status int, key, message string, retry ...string) error {
	reason := oidcflow.Reason(err)
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "sign-in failed",
		slog.Bool("audit", true), slog.String("event", "sign_in"), slog.String("outcome", "failure"),
		slog.String("reason", reason), slog.String("error", err.Error()),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("client_ip", clientip.From(r)))
	tracing.Event(r.Context(), "sign_in", "failure", reason)
	if h := g.opts.Hooks.SignIn; h != nil {
		h("failure", reason)
	}
	var te *oidcflow.TokenError
	if h := g.opts.Hooks.TokenFailure; h != nil && errors.As(err, &te) {
		h(te.Reason)
	}
	he := &httperr.HTTPError{Key: key, Status: status, Title: "Sign-in failed", Message: message, Code: "sign_in_failed",
		RetryURL: "/oidc/login"}
	if len(retry) > 0 {
		he.RetryURL = retry[0]
	}
	var idpErr *oidcflow.IdPError
	switch {
	case errors.As(err, &idpErr):
		// Plain words first; the IdP's code and description go in small print.
		he.Key = idpErrorKey(idpErr.Code)
		he.Message = "The identity provider did not sign you in (" + idpErr.Code + ")."
		he.IdPCode, he.Detail = idpErr.Code, idpErr.Description
		he.Code = "idp_error"
	case errors.Is(err, oidcflow.ErrStateExpired), errors.Is(err, oidcflow.ErrSettingsMoved):
		he.Key = "signin.expired"
		he.Message = "This sign-in took too long or the sign-in settings changed meanwhile. Please sign in again."
	case errors.Is(err, oidcflow.ErrStateMismatch):
		he.Key = "signin.state_mismatch"
	case he.Key == "":
		he.Key = "signin.not_verified"
		he.Message = "The identity provider's answer could not be verified, so you were not signed in."
	}
	return he
}

// idpErrorKey names the page for an error code the IdP sent (RFC 6749 §4.1.2.1,
// OpenID Connect Core §3.1.2.6): what it means for the user, in plain words.
func idpErrorKey(code string) string {
	switch code {
	case "access_denied":
		return "signin.cancelled"
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		return "signin.idp_needs_interaction"
	case "server_error", "temporarily_unavailable":
		return "signin.idp_trouble"
	}
	return "signin.idp_refused"
}

// callbackStatus maps a Complete error to a status: the IdP's refusals and bad
// responses are the client's 4xx; an unreachable token endpoint is a 502.
func callbackStatus(err error) int {
	var idpErr *oidcflow.IdPError
	var te *oidcflow.TokenError
	switch {
	case errors.As(err, &idpErr), errors.As(err, &te):
		return http.StatusBadRequest
	case errors.Is(err, oidcflow.ErrStateExpired), errors.Is(err, oidcflow.ErrSettingsMoved),
		errors.Is(err, oidcflow.ErrStateMismatch), errors.Is(err, oidcflow.ErrWrongFlow),
		errors.Is(err, oidcflow.ErrNoIDToken):
		return http.StatusBadRequest
	}
	return http.StatusBadGateway
}
