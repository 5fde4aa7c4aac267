package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestHealthz(t *testing.T) {
	failing := Check{Name: "idp", Func: func(context.Context) error { return errors.New("down") }}
	h := New(Options{Checks: []Check{failing}}).Handler()
	tests := []struct {
		method     string
		wantStatus int
		wantBody   string
	}{
		{http.MethodGet, http.StatusOK, "ok\n"},
		{http.MethodHead, http.StatusOK, ""},
		{http.MethodPost, http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			rec := get(t, h, tt.method, "/healthz")
			if rec.Code != tt.wantStatus {
				t.Errorf("status: got %d, want %d (alive does not depend on checks)", rec.Code, tt.wantStatus)
			}
			if tt.wantBody != "" && rec.Body.String() != tt.wantBody {
				t.Errorf("body: got %q, want %q", rec.Body.String(), tt.wantBody)
			}
		})
	}
}

func ok(context.Context) error { return nil }

func TestReadyz(t *testing.T) {
	tests := []struct {
		name       string
		checks     []Check
		wantStatus int
		want       readiness
	}{
		{
			name: "no checks", wantStatus: http.StatusOK,
			want: readiness{Status: "ready", Checks: map[string]string{}},
		},
		{
			name:       "all pass",
			checks:     []Check{{Name: "idp", Func: ok}, {Name: "session_store", Func: ok}},
			wantStatus: http.StatusOK,
			want:       readiness{Status: "ready", Checks: map[string]string{"idp": "ok", "session_store": "ok"}},
		},
		{
			name: "one fails with its reason",
			checks: []Check{
				{Name: "idp", Func: func(context.Context) error {
					return errors.New("discovery failed: dial tcp 10.0.0.1:443: connection refused")
				}},
				{Name: "session_store", Func: ok},
			},
			wantStatus: http.StatusServiceUnavailable,
			want: readiness{Status: "not ready", Checks: map[string]string{
				"idp": "discovery failed: dial tcp 10.0.0.1:443: connection refused", "session_store": "ok",
			}},
		},
		{
			name:       "panicking check is a failure, not a crash",
			checks:     []Check{{Name: "idp", Func: func(context.Context) error { panic("boom") }}},
			wantStatus: http.StatusServiceUnavailable,
			want:       readiness{Status: "not ready", Checks: map[string]string{"idp": "check panicked: boom"}},
		},
		{
			name:       "missing function",
			checks:     []Check{{Name: "idp"}},
			wantStatus: http.StatusServiceUnavailable,
			want:       readiness{Status: "not ready", Checks: map[string]string{"idp": "check has no function"}},
		},
		{
			name: "duplicate name cannot hide a failure",
			checks: []Check{
				{Name: "idp", Func: func(context.Context) error { return errors.New("down") }},
				{Name: "idp", Func: ok},
			},
			wantStatus: http.StatusServiceUnavailable,
			want:       readiness{Status: "not ready", Checks: map[string]string{"idp": "down", "idp#2": "ok"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, New(Options{Checks: tt.checks}).Handler(), http.MethodGet, "/readyz")
			if rec.Code != tt.wantStatus {
				t.Errorf("status: got %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", got)
			}
			var got readiness
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
			}
			if got.Status != tt.want.Status || !equalMaps(got.Checks, tt.want.Checks) {
				t.Errorf("body: got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestReadyzBoundsSlowChecks: a hung dependency must not hang the probe, whether or not
// its check honours the context.
func TestReadyzBoundsSlowChecks(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	checks := []Check{
		{Name: "honours_ctx", Func: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
		{Name: "ignores_ctx", Func: func(context.Context) error { <-release; return nil }},
		{Name: "fast", Func: ok},
	}
	h := New(Options{Checks: checks, CheckTimeout: 20 * time.Millisecond}).Handler()

	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- get(t, h, http.MethodGet, "/readyz") }()
	var rec *httptest.ResponseRecorder
	select {
	case rec = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("/readyz did not answer within 10s with a 20ms check timeout")
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status: got %d, want 503", rec.Code)
	}
	var got readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
	}
	for _, name := range []string{"honours_ctx", "ignores_ctx"} {
		if !strings.HasPrefix(got.Checks[name], "timed out after 20ms") {
			t.Errorf("check %s: got %q, want it to start with %q", name, got.Checks[name], "timed out after 20ms")
		}
	}
	if got.Checks["fast"] != "ok" {
		t.Errorf("check fast: got %q, want ok", got.Checks["fast"])
	}
}

// TestReadyzRunsChecksConcurrently: each check waits for the other to start, which only
// completes within the timeout when they run at the same time.
func TestReadyzRunsChecksConcurrently(t *testing.T) {
	aStarted, bStarted := make(chan struct{}), make(chan struct{})
	waitFor := func(mine, other chan struct{}) func(context.Context) error {
		return func(ctx context.Context) error {
			close(mine)
			select {
			case <-other:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	h := New(Options{Checks: []Check{
		{Name: "a", Func: waitFor(aStarted, bStarted)},
		{Name: "b", Func: waitFor(bStarted, aStarted)},
	}, CheckTimeout: 5 * time.Second}).Handler()
	rec := get(t, h, http.MethodGet, "/readyz")
	if rec.Code != http.StatusOK {
		t.Errorf("status: got %d, want 200; body %s", rec.Code, rec.Body.String())
	}
}

func TestReadyzLogsOnlyChanges(t *testing.T) {
	var logs bytes.Buffer
	var healthy atomic.Bool
	check := Check{Name: "idp", Func: func(context.Context) error {
		if healthy.Load() {
			return nil
		}
		return errors.New("discovery failed")
	}}
	h := New(Options{Checks: []Check{check}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}).Handler()

	steps := []struct {
		healthy bool
		want    string // new log text after this probe; "" means none
	}{
		{false, "gateway is not ready"},
		{false, ""},
		{true, "gateway is ready"},
		{true, ""},
		{false, "gateway is not ready"},
	}
	for i, st := range steps {
		healthy.Store(st.healthy)
		before := logs.Len()
		get(t, h, http.MethodGet, "/readyz")
		got := logs.String()[before:]
		if st.want == "" && got != "" {
			t.Errorf("probe %d: got log %q, want none", i+1, got)
		}
		if st.want != "" && !strings.Contains(got, st.want) {
			t.Errorf("probe %d: got log %q, want it to contain %q", i+1, got, st.want)
		}
	}
}
