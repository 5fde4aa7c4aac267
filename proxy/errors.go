package proxy

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/web"
)

// HTTPError is a handler's failure as the user should see it. Err is the internal
// cause: logged, never shown.
type HTTPError struct {
	Status     int
	Title      string
	Message    string // for the user, in plain words
	Detail     string // optional, e.g. the IdP's own error description
	RetryURL   string
	RetryAfter int // seconds; sets Retry-After when > 0
	Code       string
	Err        error
}

func (e *HTTPError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *HTTPError) Unwrap() error { return e.Err }

// handle adapts a handler that returns an error: the error is logged once and
// rendered once, as HTML for browsers and JSON for everything else.
func (g *Gateway) handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			g.renderError(w, r, err)
		}
	}
}

// renderError logs err by class (4xx Warn, 5xx Error) and writes the error response.
func (g *Gateway) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var he *HTTPError
	if !errors.As(err, &he) {
		he = &HTTPError{Status: http.StatusInternalServerError, Title: "Something went wrong",
			Message: "The gateway hit an unexpected error.", Err: err}
	}
	rid := requestIDFrom(r.Context())
	level := slog.LevelWarn
	if he.Status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("request_id", rid), slog.Int("status", he.Status), slog.String("path", r.URL.Path)}
	if he.Code != "" {
		attrs = append(attrs, slog.String("reason", he.Code))
	}
	if he.Err != nil {
		attrs = append(attrs, slog.String("error", he.Err.Error()))
	}
	g.opts.Logger.LogAttrs(r.Context(), level, he.Message, attrs...)

	if he.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(he.RetryAfter))
	}
	if !wantsHTML(r) {
		writeJSON(w, he.Status, map[string]string{"error": jsonCode(he), "message": he.Message, "request_id": rid})
		return
	}
	_ = g.opts.Renderer.Render(w, he.Status, "error", web.ErrorPage{
		Title: he.Title, Message: he.Message, Detail: he.Detail, RequestID: rid,
		RetryURL: he.RetryURL, Status: he.Status, Banner: g.opts.Banner,
	})
}

func jsonCode(he *HTTPError) string {
	if he.Code != "" {
		return he.Code
	}
	return strings.ToLower(strings.ReplaceAll(http.StatusText(he.Status), " ", "_"))
}

// wantsHTML reports whether the client is a browser asking for a page.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// isNavigation reports whether r is a browser navigation that may be redirected to sign in.
func isNavigation(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && wantsHTML(r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
