// Package settings is the admin page /oidc/settings: it shows each SSO setting with
// where its value came from (saved on this page, flag, environment, file or default)
// and what the environment says underneath, tests proposed settings against the IdP,
// and saves and applies them without a restart.
//
// Only fields whose submitted value differs from the live one are saved, on top of the
// values saved before; the others keep following flags and environment. A change is
// saved (DATA_DIR/settings.json, atomically, mode 0600) only when every check passes,
// and then applied; when applying fails the previous settings file is restored, so a
// change that fails is neither live nor waiting for the next restart. "Revert" removes
// the saved values and applies the environment's settings, under the same checks.
package settings

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/csrf"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/web"
)

// maxFormBytes bounds the settings form.
const maxFormBytes = 64 << 10

// Options configure a Handler. Live, Load, DataDir, Sealer, Renderer, Logger and
// CSRF are required.
type Options struct {
	// Live holds the configuration in force; a change is applied through it (a
	// complete new sign-in flow swapped in, or nothing while LOCAL_RESTORE is on).
	// When applying fails, the old settings stay live.
	Live *config.Manager
	// Load builds a configuration from flags, environment and defaults with saved on
	// top, as the process would at start (config.LoadWithSaved).
	Load func(saved config.Saved) (config.Config, error)
	// DataDir is where settings.json is saved.
	DataDir string
	// Sealer seals the client secret in settings.json (config.NewSealer of the
	// cookie secret).
	Sealer *config.Sealer
	// HTTPClient tests proposed IdPs; nil means a client with a 10s timeout.
	HTTPClient *http.Client
	Renderer   *web.Renderer
	Logger     *slog.Logger
	CSRF       *csrf.Protector
	Banner     string           // shown on the page, e.g. while LOCAL_RESTORE is on
	Now        func() time.Time // nil means time.Now
}

// Handler serves GET and POST /oidc/settings to a signed-in admin, whose identity the
// gateway has put in the request context (claims.NewContext). It is safe for
// concurrent use; saves and reverts run one at a time.
type Handler struct {
	opts Options

	mu    sync.Mutex // serialises save and revert
	serve http.Handler
}

var _ http.Handler = (*Handler)(nil)

// New checks opts and returns a Handler.
func New(opts Options) (*Handler, error) {
	if opts.Live == nil || opts.Load == nil || opts.DataDir == "" || opts.Sealer == nil || opts.Renderer == nil ||
		opts.Logger == nil || opts.CSRF == nil {
		return nil, errors.New("settings: Options.Live, Load, DataDir, Sealer, Renderer, Logger and CSRF are required")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{opts: opts}
	pages := &httperr.Pages{Renderer: opts.Renderer, Logger: opts.Logger, Banner: opts.Banner}
	h.serve = pages.Handle(h.route)
	return h, nil
}

// ServeHTTP shows the page on GET and runs action=test, save or revert on POST.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.serve.ServeHTTP(w, r) }

func (h *Handler) route(w http.ResponseWriter, r *http.Request) error {
	id, ok := claims.FromContext(r.Context())
	if !ok || !isAdmin(id) {
		he := fail(http.StatusForbidden, "error.settings_forbidden", "Access denied", "Only administrators can change the sign-in settings.")
		he.Log, he.Attrs = "settings page refused: not signed in as an admin", []slog.Attr{slog.String("user", id.Username)}
		return he
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return h.render(w, r, http.StatusOK, id, view{cfg: h.current()})
	case http.MethodPost:
		return h.post(w, r, id)
	}
	w.Header().Set("Allow", "GET, HEAD, POST")
	return fail(http.StatusMethodNotAllowed, "error.method_not_allowed", "Method not allowed", "This page accepts only GET and POST.")
}

// post checks the form's CSRF protection, then runs its action.
func (h *Handler) post(w http.ResponseWriter, r *http.Request, id claims.Identity) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := h.opts.CSRF.Check(r); err != nil {
		if he := httperr.TooLarge(err); he != nil {
			return he
		}
		he := fail(http.StatusForbidden, "error.form_expired", "Form expired",
			"This form expired or was sent from another site. Reload the page and try again.")
		he.Err, he.Log, he.Attrs = err, "settings change refused: CSRF check failed", []slog.Attr{slog.String("user", id.Username)}
		return he
	}
	switch action := r.PostForm.Get("action"); action {
	case "test":
		return h.test(w, r, id)
	case "save":
		return h.save(w, r, id)
	case "revert":
		return h.revert(w, r, id)
	}
	return fail(http.StatusBadRequest, "error.unknown_action", "Unknown action", "The form asked for an action this page does not have.")
}

// current is the configuration in force.
func (h *Handler) current() config.Config { return *h.opts.Live.Current() }

// isAdmin reports whether id may change settings: role admin, or the break-glass
// admin. The gateway checks this before calling; it is checked again here.
func isAdmin(id claims.Identity) bool {
	return id.Role == claims.RoleAdmin || slices.Contains(id.AMR, claims.AMRLocalRestore)
}

// fail is an error of this page, with a link back to it. key names its text in the
// web string tables; title and msg are that text in English, for the log.
func fail(status int, key, title, msg string) *httperr.HTTPError {
	return &httperr.HTTPError{Key: key, Status: status, Title: title, Message: msg, RetryURL: "/oidc/settings"}
}
