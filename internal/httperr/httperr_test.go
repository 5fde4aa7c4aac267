package httperr

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/web"
)

type info string

func (i info) RequestID() string { return string(i) }

func newPages(t *testing.T) (*Pages, *bytes.Buffer) {
	t.Helper()
	r, err := web.New()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	return &Pages{Renderer: r, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Banner: "B"}, &logs
}

func serve(p *Pages, accept string, h func(http.ResponseWriter, *http.Request) error) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "http://gw.example/x", nil)
	r.Header.Set("Accept", accept)
	r = r.WithContext(NewContext(r.Context(), info("rid-1")))
	rec := httptest.NewRecorder()
	p.Handle(h).ServeHTTP(rec, r)
	return rec
}

func logLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRenderByAccept(t *testing.T) {
	fail := func(http.ResponseWriter, *http.Request) error {
		return &HTTPError{Status: http.StatusServiceUnavailable, Title: "Down", Message: "Try later.",
			RetryAfter: 5, Code: "store_down", Err: errors.New("dial tcp: refused"), Log: "store down",
			Attrs: []slog.Attr{slog.String("user", "bob")}}
	}
	tests := []struct {
		accept, wantType string
		wantBody         []string
	}{
		{"text/html", "text/html; charset=utf-8", []string{"Down", "Try later.", "rid-1", "B"}},
		{"application/json", "application/json", []string{`"error":"store_down"`, `"message":"Try later."`, `"request_id":"rid-1"`}},
	}
	for _, tt := range tests {
		p, logs := newPages(t)
		rec := serve(p, tt.accept, fail)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Content-Type") != tt.wantType ||
			rec.Header().Get("Retry-After") != "5" {
			t.Errorf("%s: got %d %q Retry-After %q; want 503 %q 5", tt.accept, rec.Code,
				rec.Header().Get("Content-Type"), rec.Header().Get("Retry-After"), tt.wantType)
		}
		for _, want := range tt.wantBody {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("%s: body %q lacks %q", tt.accept, rec.Body.String(), want)
			}
		}
		if strings.Contains(rec.Body.String(), "refused") {
			t.Errorf("%s: the internal cause reached the client: %q", tt.accept, rec.Body.String())
		}
		lines := logLines(t, logs)
		if len(lines) != 1 || lines[0]["msg"] != "store down" || lines[0]["level"] != "ERROR" ||
			lines[0]["request_id"] != "rid-1" || lines[0]["reason"] != "store_down" ||
			lines[0]["error"] != "dial tcp: refused" || lines[0]["user"] != "bob" {
			t.Errorf("%s: log lines %v; want one ERROR line with the request ID, reason, cause and user", tt.accept, lines)
		}
	}
}

func TestPlainErrorIsInternal(t *testing.T) {
	p, logs := newPages(t)
	rec := serve(p, "application/json", func(http.ResponseWriter, *http.Request) error {
		return errors.New("secret detail")
	})
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret") ||
		!strings.Contains(rec.Body.String(), `"error":"internal_server_error"`) {
		t.Errorf("got %d %q; want 500 internal_server_error without the cause", rec.Code, rec.Body.String())
	}
	if lines := logLines(t, logs); len(lines) != 1 || lines[0]["error"] != "secret detail" {
		t.Errorf("log lines %v; want one with the cause", lines)
	}
}

// An error returned after the handler wrote its response is logged, not rendered
// over it (a page that failed to render has already written a 500).
func TestErrorAfterResponseIsLoggedOnly(t *testing.T) {
	for _, accept := range []string{"text/html", "application/json"} {
		p, logs := newPages(t)
		rec := serve(p, accept, func(w http.ResponseWriter, _ *http.Request) error {
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte("first"))
			return errors.New("late failure")
		})
		if rec.Code != http.StatusTeapot || rec.Body.String() != "first" {
			t.Errorf("%s: got %d %q; want the handler's 418 \"first\" alone", accept, rec.Code, rec.Body.String())
		}
		if lines := logLines(t, logs); len(lines) != 1 || lines[0]["error"] != "late failure" {
			t.Errorf("%s: log lines %v; want one with the late failure", accept, lines)
		}
	}
}

func TestRequestID(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if got := RequestID(r.Context()); got != "" {
		t.Errorf("RequestID without info = %q, want empty", got)
	}
	if got := RequestID(NewContext(r.Context(), info("abc"))); got != "abc" {
		t.Errorf("RequestID = %q, want abc", got)
	}
}
