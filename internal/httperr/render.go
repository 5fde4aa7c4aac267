package httperr

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/web"
)

// Pages renders errors: Logger gets the one log line, Renderer the HTML page with
// Banner on it.
type Pages struct {
	Renderer *web.Renderer
	Logger   *slog.Logger
	Banner   string
}

// Handle adapts a handler that returns an error. The error is logged once and, when
// the handler has not started its response, rendered once; an error after the
// response started (a page that failed to render has written its own 500) is only
// logged.
func (p *Pages) Handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tw := &tracker{ResponseWriter: w}
		if err := h(tw, r); err != nil {
			if tw.started {
				p.log(r, asHTTPError(err))
				return
			}
			p.Render(w, r, err)
		}
	}
}

// Render logs err by class (4xx Warn, 5xx Error) and writes the error response.
func (p *Pages) Render(w http.ResponseWriter, r *http.Request, err error) {
	he := asHTTPError(err)
	p.log(r, he)
	if he.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(he.RetryAfter))
	}
	rid := RequestID(r.Context())
	if !WantsHTML(r) {
		WriteJSON(w, he.Status, map[string]string{"error": he.JSONCode(), "message": he.Message, "request_id": rid})
		return
	}
	page := web.ErrorPage{Key: he.Key, Title: he.Title, Message: he.Message, Detail: he.Detail, IdPCode: he.IdPCode, RequestID: rid,
		RetryURL: he.RetryURL, Status: he.Status, Banner: p.Banner}
	if err := p.Renderer.Render(w, r, he.Status, web.PageError, page); err != nil {
		p.Logger.LogAttrs(r.Context(), slog.LevelError, "rendering an error page failed",
			slog.String("request_id", rid), slog.String("error", err.Error()))
	}
}

func asHTTPError(err error) *HTTPError {
	var he *HTTPError
	if !errors.As(err, &he) {
		he = Internal(err)
	}
	return he
}

func (p *Pages) log(r *http.Request, he *HTTPError) {
	level := slog.LevelWarn
	if he.Status >= 500 {
		level = slog.LevelError
	}
	attrs := make([]slog.Attr, 0, 5+len(he.Attrs))
	attrs = append(attrs, slog.String("request_id", RequestID(r.Context())), slog.Int("status", he.Status),
		slog.String("path", r.URL.Path))
	if he.Code != "" {
		attrs = append(attrs, slog.String("reason", he.Code))
	}
	if he.Err != nil {
		attrs = append(attrs, slog.String("error", he.Err.Error()))
	}
	attrs = append(attrs, he.Attrs...)
	msg := he.Log
	if msg == "" {
		msg = he.Message
	}
	p.Logger.LogAttrs(r.Context(), level, msg, attrs...)
}

// WantsHTML reports whether the client is a browser asking for a page.
func WantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// WriteJSON writes v as an uncacheable JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// tracker notes whether a handler started its response. http.ResponseController
// reaches the writer beneath through Unwrap (flushing, hijacking, deadlines).
type tracker struct {
	http.ResponseWriter
	started bool
}

func (t *tracker) WriteHeader(status int) {
	if status >= 200 || status == http.StatusSwitchingProtocols {
		t.started = true
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *tracker) Write(b []byte) (int, error) {
	t.started = true
	return t.ResponseWriter.Write(b)
}

// Flush keeps http.Flusher for callers that assert it rather than use a controller.
func (t *tracker) Flush() {
	t.started = true
	_ = http.NewResponseController(t.ResponseWriter).Flush()
}

// Unwrap returns the writer beneath, for http.ResponseController.
func (t *tracker) Unwrap() http.ResponseWriter { return t.ResponseWriter }
