package restore

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"math"
	"net/http"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/session"
)

// identity is the break-glass administrator every successful sign-in becomes. Its
// SessionID is the process's run ID, so the session is valid only in this run.
func identity(now time.Time, run string) claims.Identity {
	return claims.Identity{
		Subject:   "local-restore:" + Username,
		Username:  Username,
		Name:      "Break-glass administrator",
		Role:      claims.RoleAdmin,
		AMR:       []string{claims.AMRLocalRestore},
		IdP:       "local_restore",
		SessionID: run,
		AuthTime:  now,
	}
}

// signIn checks a posted sign-in form: CSRF, the client's rate limit, then user
// name and password. It writes one audit line for every attempt it counts.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := h.opts.CSRF.Check(r); err != nil {
		if he := httperr.TooLarge(err); he != nil {
			return he
		}
		he := h.fail(r, http.StatusForbidden, "error.form_expired", "Form expired",
			"This form expired or was sent from another site. Reload the page and try again.")
		he.Err, he.Log, he.Attrs = err, "break-glass sign-in refused: CSRF check failed",
			[]slog.Attr{slog.String("client_ip", clientip.From(r))}
		return he
	}
	ip := clientip.From(r)
	now := h.opts.Now()
	ok, wait := h.limits.begin(ip, now)
	if !ok {
		h.audit(r, slog.LevelWarn, "failure", "rate_limited", ip)
		he := h.fail(r, http.StatusTooManyRequests, "error.too_many_attempts", "Too many attempts",
			"Too many wrong passwords from your address. Wait a few minutes and try again.")
		he.RetryAfter, he.Code = int(math.Ceil(wait.Seconds())), "rate_limited"
		return he
	}
	if !h.credentialsMatch(r.PostForm.Get("username"), r.PostForm.Get("password")) {
		h.audit(r, slog.LevelWarn, "failure", "wrong_credentials", ip)
		h.opts.Delay(r.Context())
		return h.renderForm(w, r, http.StatusUnauthorized, wrongMessage)
	}
	h.limits.succeeded(ip)
	s := &session.Session{ID: session.NewID(), Identity: identity(now, h.run), CreatedAt: now,
		ExpiresAt: now.Add(h.opts.SessionLength)}
	if err := h.opts.Sessions.Save(w, r, s); err != nil {
		he := h.fail(r, http.StatusInternalServerError, "error.session_not_saved", "Something went wrong",
			"The session could not be saved. Try again; the gateway's log says why.")
		he.Err, he.Log = err, "break-glass sign-in: saving the session failed"
		return he
	}
	h.audit(r, slog.LevelInfo, "success", "ok", ip)
	http.Redirect(w, r, SettingsPath, http.StatusSeeOther)
	return nil
}

// credentialsMatch compares in constant time. Both sides are hashed first so that
// not even the password's length leaks through timing.
func (h *Handler) credentialsMatch(user, password string) bool {
	got := sha256.Sum256([]byte(password))
	want := sha256.Sum256([]byte(h.password))
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(Username))
	passOK := subtle.ConstantTimeCompare(got[:], want[:])
	return userOK&passOK == 1
}

// audit writes the audit line of one attempt. It never includes the password, nor
// the submitted user name (a password typed into the wrong field must not be logged).
func (h *Handler) audit(r *http.Request, level slog.Level, outcome, reason, ip string) {
	msg := "break-glass sign-in failed"
	if outcome == "success" {
		msg = "break-glass sign-in succeeded"
	}
	attrs := []slog.Attr{slog.Bool("audit", true), slog.String("event", "local_restore_sign_in"),
		slog.String("outcome", outcome), slog.String("reason", reason),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("client_ip", ip)}
	if outcome == "success" {
		attrs = append(attrs, slog.String("user", Username))
	}
	h.opts.Logger.LogAttrs(r.Context(), level, msg, attrs...)
}
