package restore

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/csrf"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/web"
)

// memStore records the sessions saved.
type memStore struct {
	mu    sync.Mutex
	saved []*session.Session
}

func (m *memStore) Load(*http.Request) (*session.Session, error)    { return nil, session.ErrNoSession }
func (m *memStore) Delete(http.ResponseWriter, *http.Request) error { return nil }
func (m *memStore) Save(_ http.ResponseWriter, _ *http.Request, s *session.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saved = append(m.saved, s)
	return nil
}

// fixture is a Handler with a settable clock, a log buffer and a delay counter.
type fixture struct {
	h      *Handler
	store  *memStore
	logs   *bytes.Buffer
	now    time.Time
	delays int
}

func newFixture(t *testing.T, sessionLength time.Duration) *fixture {
	t.Helper()
	renderer, err := web.New()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: &memStore{}, logs: &bytes.Buffer{}, now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	f.h, err = New(Options{
		Sessions: f.store, Renderer: renderer, CSRF: csrf.New(false), SessionLength: sessionLength,
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)),
		Now:    func() time.Time { return f.now },
		Delay:  func(context.Context) { f.delays++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var tokenField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// form GETs the sign-in page and returns the CSRF cookie and token.
func (f *fixture) form(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://gw.example/oidc/restore", nil))
	m := tokenField.FindStringSubmatch(rec.Body.String())
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusOK || m == nil || len(cookies) != 1 {
		t.Fatalf("GET: got status %d, token %v, %d cookies; want 200, a token and its cookie", rec.Code, m, len(cookies))
	}
	return cookies[0], m[1]
}

// post submits the sign-in form from remoteAddr through h.
func post(h http.Handler, remoteAddr, xff, user, password string, cookie *http.Cookie, token string) *httptest.ResponseRecorder {
	form := url.Values{"username": {user}, "password": {password}, "csrf_token": {token}}
	r := httptest.NewRequest(http.MethodPost, "http://gw.example/oidc/restore", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.RemoteAddr = remoteAddr
	if xff != "" {
		r.Header.Set("X-Forwarded-For", xff)
	}
	if cookie != nil {
		r.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestGetShowsForm(t *testing.T) {
	f := newFixture(t, 0)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://gw.example/oidc/restore", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("status: got %d, want 200", rec.Code)
	}
	for _, want := range []string{"LOCAL_RESTORE is on: SSO is disabled", `name="password"`, `name="csrf_token"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page: got no %q", want)
		}
	}
	if strings.Contains(body, f.h.Password()) {
		t.Errorf("page: got the temporary password in the HTML")
	}
	if got := rec.Result().Cookies(); len(got) != 1 || got[0].Name != "ssogate_csrf" {
		t.Errorf("cookies: got %v, want the CSRF cookie", got)
	}
}

func TestSignIn(t *testing.T) {
	tests := []struct {
		name       string
		user       string
		password   func(h *Handler) string
		noToken    bool
		wantStatus int
		wantBody   string
		wantSaved  int
		wantDelays int
		wantLog    string
	}{
		{"correct password", "admin", (*Handler).Password, false, http.StatusSeeOther, "", 1, 0, `"msg":"break-glass sign-in succeeded"`},
		{"wrong password", "admin", func(*Handler) string { return "guess" }, false, http.StatusUnauthorized, "Wrong user name or password", 0, 1, `"reason":"wrong_credentials"`},
		{"wrong user name", "root", (*Handler).Password, false, http.StatusUnauthorized, "Wrong user name or password", 0, 1, `"outcome":"failure"`},
		{"no CSRF token", "admin", (*Handler).Password, true, http.StatusForbidden, "Reload the page", 0, 0, "CSRF check failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0)
			cookie, token := f.form(t)
			if tt.noToken {
				token = ""
			}
			rec := post(f.h, "192.0.2.10:5555", "", tt.user, tt.password(f.h), cookie, token)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status: got %d, want %d", rec.Code, tt.wantStatus)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body: got %q, want it to contain %q", rec.Body.String(), tt.wantBody)
			}
			if len(f.store.saved) != tt.wantSaved {
				t.Errorf("sessions saved: got %d, want %d", len(f.store.saved), tt.wantSaved)
			}
			if f.delays != tt.wantDelays {
				t.Errorf("delays: got %d, want %d", f.delays, tt.wantDelays)
			}
			logs := f.logs.String()
			if !strings.Contains(logs, tt.wantLog) {
				t.Errorf("log: got %s, want a line with %s", logs, tt.wantLog)
			}
			if strings.Contains(logs, f.h.Password()) {
				t.Errorf("log: got the temporary password in %s", logs)
			}
			if tt.wantStatus == http.StatusSeeOther {
				if got := rec.Header().Get("Location"); got != SettingsPath {
					t.Errorf("Location: got %q, want %q", got, SettingsPath)
				}
			}
		})
	}
}

func TestSignInSession(t *testing.T) {
	tests := []struct {
		sessionLength time.Duration
		want          time.Duration
	}{
		{720 * time.Hour, 12 * time.Hour},
		{time.Hour, time.Hour},
		{0, 12 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.sessionLength.String(), func(t *testing.T) {
			f := newFixture(t, tt.sessionLength)
			cookie, token := f.form(t)
			if rec := post(f.h, "192.0.2.10:5555", "", "admin", f.h.Password(), cookie, token); rec.Code != http.StatusSeeOther {
				t.Fatalf("status: got %d, want 303", rec.Code)
			}
			s := f.store.saved[0]
			if got := s.ExpiresAt.Sub(f.now); got != tt.want {
				t.Errorf("session length: got %v, want %v", got, tt.want)
			}
			id := s.Identity
			if id.Subject != "local-restore:admin" || id.Username != "admin" || id.Role != claims.RoleAdmin ||
				!slices.Equal(id.AMR, []string{claims.AMRLocalRestore}) || id.IdP != "local_restore" {
				t.Errorf("identity: got %+v, want the break-glass admin with amr local_restore", id)
			}
			if s.ID == "" || !s.CreatedAt.Equal(f.now) {
				t.Errorf("session: got ID %q created %v, want an ID created %v", s.ID, s.CreatedAt, f.now)
			}
		})
	}
}

func TestPassword(t *testing.T) {
	a, b := newFixture(t, 0).h.Password(), newFixture(t, 0).h.Password()
	if len(a) < 20 {
		t.Errorf("password length: got %d, want at least 20", len(a))
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(a) {
		t.Errorf("password %q: got characters outside the URL-safe alphabet", a)
	}
	if a == b {
		t.Errorf("two handlers: got the same password %q twice", a)
	}
}

// countingHandler is a slog.Handler that counts records and calls onRecord.
type countingHandler struct {
	mu       sync.Mutex
	messages []string
	onRecord func(n int)
}

func (c *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (c *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *countingHandler) WithGroup(string) slog.Handler            { return c }
func (c *countingHandler) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	c.messages = append(c.messages, r.Level.String()+" "+r.Message)
	n := len(c.messages)
	c.mu.Unlock()
	c.onRecord(n)
	return nil
}

func TestRunWarnings(t *testing.T) {
	f := newFixture(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &countingHandler{onRecord: func(n int) {
		if n == 2 {
			cancel()
		}
	}}
	f.h.RunWarnings(ctx, slog.New(logs), time.Millisecond) // returns once ctx ends
	want := "WARN " + warningText
	if len(logs.messages) != 2 || logs.messages[0] != want || logs.messages[1] != want {
		t.Errorf("warnings: got %q, want two of %q", logs.messages, want)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	f := newFixture(t, 0)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "http://gw.example/oidc/restore", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") == "" {
		t.Errorf("DELETE: got %d Allow=%q, want 405 with Allow", rec.Code, rec.Header().Get("Allow"))
	}
}

// behindProxy puts chi's client-IP middleware in front of h, trusting 10.0.0.0/8.
func behindProxy(h http.Handler) http.Handler {
	return middleware.ClientIPFromXFF("10.0.0.0/8")(h)
}
