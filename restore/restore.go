// Package restore is LOCAL_RESTORE, the break-glass sign-in: while SSO is off, an
// administrator signs in at /oidc/restore as "admin" with a temporary password that
// the process generates at start, keeps only in memory and prints once to its log.
// Wrong passwords are delayed and rate-limited per client; a correct one opens a
// session with role admin and amr ["local_restore"] and leads to /oidc/settings.
package restore

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/ssogate/ssogate/internal/csrf"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/web"
)

// BannerText marks every gateway page while LOCAL_RESTORE is on: the key of
// "LOCAL_RESTORE is on: SSO is disabled" in the web string tables.
const BannerText = "banner.local_restore"

// warningText is logged periodically while LOCAL_RESTORE is on.
const warningText = "LOCAL_RESTORE is on: SSO is disabled; remove LOCAL_RESTORE and restart to turn SSO back on"

// Fixed parts of the break-glass sign-in.
const (
	Username       = "admin"                  // the only user name accepted
	SettingsPath   = "/oidc/settings"         // where a successful sign-in leads
	maxSession     = 12 * time.Hour           // a break-glass session never lasts longer
	defaultSession = maxSession               // when Options.SessionLength is 0
	wrongDelay     = time.Second              // the default pause after a wrong password
	maxFormBytes   = 16 << 10                 // the sign-in form is small
	wrongMessage   = "restore.wrong_password" // "Wrong user name or password." in the web string tables
)

// Options configure a Handler. Sessions, Renderer, Logger and CSRF are required.
type Options struct {
	Sessions      session.Store
	Renderer      *web.Renderer
	Logger        *slog.Logger
	CSRF          *csrf.Protector
	SessionLength time.Duration    // SESSION_LENGTH; capped at 12h; 0 means 12h
	Now           func() time.Time // nil means time.Now
	Banner        string           // shown on the pages; "" means BannerText
	// Delay pauses after a wrong password; it must return early when ctx ends.
	// nil means about one second. Tests pass a no-op.
	Delay func(ctx context.Context)
}

// Handler serves GET and POST /oidc/restore. It is safe for concurrent use.
type Handler struct {
	opts     Options
	password string
	run      string // random per process; break-glass sessions carry it as their SessionID
	limits   *limiter
	pages    *httperr.Pages
	serve    http.Handler
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler with a fresh random temporary password.
func New(opts Options) (*Handler, error) {
	if opts.Sessions == nil || opts.Renderer == nil || opts.Logger == nil || opts.CSRF == nil {
		return nil, errors.New("restore: Options.Sessions, Renderer, Logger and CSRF are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Banner == "" {
		opts.Banner = BannerText
	}
	if opts.Delay == nil {
		opts.Delay = sleep(wrongDelay)
	}
	if opts.SessionLength <= 0 || opts.SessionLength > maxSession {
		opts.SessionLength = defaultSession
	}
	h := &Handler{opts: opts, password: newPassword(), run: rand.Text(), limits: newLimiter(),
		pages: &httperr.Pages{Renderer: opts.Renderer, Logger: opts.Logger, Banner: opts.Banner}}
	h.serve = h.pages.Handle(h.route)
	return h, nil
}

// newPassword returns 26 characters of base32 (A–Z, 2–7: URL-safe and easy to copy
// from a log), 128 random bits from crypto/rand.
func newPassword() string { return rand.Text() }

// RunID identifies this process's LOCAL_RESTORE run. A break-glass session carries
// it as Identity.SessionID; the gateway accepts only sessions of the current run, so
// like the password they end with the process.
func (h *Handler) RunID() string { return h.run }

// Password is the temporary password, for the one start-up log line that announces
// it. It must not be logged anywhere else.
func (h *Handler) Password() string { return h.password }

// ServeHTTP shows the sign-in form on GET and checks it on POST.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.serve.ServeHTTP(w, r) }

func (h *Handler) route(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return h.renderForm(w, r, http.StatusOK, "")
	case http.MethodPost:
		return h.signIn(w, r)
	}
	w.Header().Set("Allow", "GET, HEAD, POST")
	return h.fail(r, http.StatusMethodNotAllowed, "error.method_not_allowed", "Method not allowed", "This page accepts only GET and POST.")
}

// RunWarnings logs a warning that SSO is off every interval until ctx ends, so that a
// forgotten LOCAL_RESTORE stands out in the log.
func (h *Handler) RunWarnings(ctx context.Context, logger *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			logger.Warn(warningText)
		}
	}
}

// renderForm writes the sign-in form with a CSRF token and an optional error.
func (h *Handler) renderForm(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	page := web.RestorePage{Error: msg, CSRFToken: h.opts.CSRF.Token(w, r), Banner: h.opts.Banner}
	return h.opts.Renderer.Render(w, r, status, web.PageRestore, page)
}

// fail is the error page of this form, with a link back to it. key names its text
// in the web string tables; title and msg are that text in English, for the log.
func (h *Handler) fail(r *http.Request, status int, key, title, msg string) *httperr.HTTPError {
	return &httperr.HTTPError{Key: key, Status: status, Title: title, Message: msg, RetryURL: r.URL.Path}
}

// sleep returns a Delay that waits d or until ctx ends.
func sleep(d time.Duration) func(context.Context) {
	return func(ctx context.Context) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}
