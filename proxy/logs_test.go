package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

var requestIDRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestAccessLogOneLinePerRequest(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	cases := []struct {
		method, path, accept string
		want                 int
	}{
		{http.MethodGet, "/oidc/userinfo", "application/json", http.StatusUnauthorized},
		{http.MethodGet, "/oidc/restore", acceptHTML, http.StatusNotFound},
		{http.MethodGet, "/runs", acceptHTML, http.StatusFound},
		{http.MethodPost, "/api/runs", "", http.StatusUnauthorized},
		{http.MethodGet, "/logout", acceptHTML, http.StatusOK},
		{http.MethodPost, "/oidc/callback", acceptHTML, http.StatusBadRequest},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Accept", tc.accept)
		req.Header.Set("X-Request-Id", "chosen-by-client")
		req.Header.Set("X-Forwarded-For", "203.0.113.66") // the peer is not trusted
		rec := httptest.NewRecorder()
		f.gw.ServeHTTP(rec, req)
		rid := rec.Header().Get("X-Request-Id")
		if rec.Code != tc.want || !requestIDRE.MatchString(rid) {
			t.Errorf("%s %s: got %d X-Request-Id %q, want %d and a fresh 16-hex ID", tc.method, tc.path, rec.Code, rid, tc.want)
		}
		var lines []map[string]any
		for _, r := range f.logs.records(t, "request") {
			if r["request_id"] == rid {
				lines = append(lines, r)
			}
		}
		if len(lines) != 1 {
			t.Fatalf("%s %s: access log lines with request_id %q: got %d, want 1", tc.method, tc.path, rid, len(lines))
		}
		for k, want := range map[string]any{
			"status": float64(rec.Code), "method": tc.method, "path": tc.path, "client_ip": "192.0.2.1", "level": "INFO",
		} {
			if got := lines[0][k]; got != want {
				t.Errorf("%s %s: access log %s got %v, want %v", tc.method, tc.path, k, got, want)
			}
		}
	}
	if got := len(f.logs.records(t, "request")); got != len(cases) {
		t.Errorf("access log lines: got %d, want %d", got, len(cases))
	}
}

func TestSignInAuditLines(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn("/")
	ok := f.logs.records(t, "sign-in succeeded")
	if len(ok) != 1 {
		t.Fatalf("%q lines: got %d, want 1", "sign-in succeeded", len(ok))
	}
	for k, want := range map[string]any{
		"audit": true, "outcome": "success", "user": "alice", "email": "alice@example.com",
		"role": "admin", "method": "implicit", "groups": float64(2),
	} {
		if got := ok[0][k]; got != want {
			t.Errorf("sign-in succeeded %s: got %v, want %v", k, got, want)
		}
	}

	// Two logins in flight give two valid callbacks to mix and forge.
	authA, authB := b.startLogin("/oidc/login?rd=%2Fa"), b.startLogin("/oidc/login?rd=%2Fb")
	cbA, cbB := b.idpLogin(authA, "alice", "alice"), b.idpLogin(authB, "alice", "alice")
	forged := cbA.form.Get("id_token")
	forged = forged[:len(forged)-6] + flip(forged[len(forged)-6:])
	mixed := callback{method: http.MethodPost, url: cbB.url, form: url.Values{"id_token": {cbA.form.Get("id_token")}, "state": {cbB.form.Get("state")}}}
	withToken := func(tok string) callback {
		return callback{method: http.MethodPost, url: cbA.url, form: url.Values{"id_token": {tok}, "state": {cbA.form.Get("state")}}}
	}
	cancelled := b.idpCancel(b.startLogin("/oidc/login?rd=%2Fc"))

	for _, tc := range []struct {
		name       string
		cb         callback
		wantReason string
	}{
		{"unknown state", callback{method: http.MethodPost, url: f.url("/oidc/callback"), form: url.Values{"state": {"bogus"}, "id_token": {"x.y.z"}}}, "state_mismatch"},
		{"IdP error without state", callback{method: http.MethodGet, url: f.url("/oidc/callback?error=access_denied&error_description=no")}, "state_mismatch"},
		{"cancelled at the IdP", cancelled, "idp_access_denied"},
		{"ID token of another login", mixed, "nonce"},
		{"forged signature", withToken(forged), "signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := b.send(tc.cb)
			rid := resp.Header.Get("X-Request-Id")
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, rid) {
				t.Errorf("got %d, want a 400 page showing request ID %q; body %q", resp.StatusCode, rid, body)
			}
			var got []any
			for _, r := range f.logs.records(t, "sign-in failed") {
				if r["request_id"] == rid {
					got = append(got, r["reason"])
					if r["audit"] != true || r["level"] != "WARN" {
						t.Errorf("sign-in failed line: got audit %v level %v, want true WARN", r["audit"], r["level"])
					}
				}
			}
			if len(got) != 1 || got[0] != tc.wantReason {
				t.Errorf("sign-in failed reasons for %s: got %v, want [%s]", rid, got, tc.wantReason)
			}
		})
	}
	if got := len(f.logs.records(t, "sign-in succeeded")); got != 1 {
		t.Errorf("%q lines after the failures: got %d, want still 1", "sign-in succeeded", got)
	}
	// Tokens never reach the log.
	for _, r := range f.logs.records(t, "") {
		for k, v := range r {
			if s, ok := v.(string); ok && (strings.Contains(s, cbA.form.Get("id_token")[:40]) || strings.Contains(s, "eyJ")) {
				t.Errorf("log line %q field %s carries a token: %q", r["msg"], k, s)
			}
		}
	}
}

// flip changes every character of s to another base64url character.
func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// idpCancel presses Cancel on the IdP's login page for authURL.
func (b *browser) idpCancel(authURL string) callback {
	b.t.Helper()
	resp, page := testenv.TestIdPLogin(b.t, b.c, authURL, "", "", "cancel")
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("IdP cancel: got %d, want the form_post page; body %q", resp.StatusCode, page)
	}
	action, form := testenv.ParseForm(b.t, page)
	return callback{method: http.MethodPost, url: action, form: form}
}

func TestAccessLogHookTakesTheLine(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	var got []AccessLine
	f.gw.opts.AccessLog = func(_ context.Context, l AccessLine) { got = append(got, l) }
	req := httptest.NewRequest(http.MethodGet, "/oidc/userinfo", nil)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	f.gw.ServeHTTP(rec, req)
	if len(got) != 1 {
		t.Fatalf("the hook got %d lines, want 1", len(got))
	}
	l := got[0]
	if l.RequestID != rec.Header().Get("X-Request-Id") || l.Method != http.MethodGet || l.Path != "/oidc/userinfo" ||
		l.Status != http.StatusUnauthorized || l.Bytes != rec.Body.Len() || l.ClientIP != "192.0.2.1" || l.Time.IsZero() || l.Duration <= 0 {
		t.Errorf("line = %+v; want the request's ID, method, path, 401, %d bytes, client IP, time and duration", l, rec.Body.Len())
	}
	if n := len(f.logs.records(t, "request")); n != 0 {
		t.Errorf("%d access lines also went to the logger, want none", n)
	}
	// The record is the line the logger would have written.
	var out strings.Builder
	_ = slog.NewJSONHandler(&out, nil).Handle(context.Background(), l.Record())
	for _, want := range []string{`"level":"INFO"`, `"msg":"request"`, `"request_id":"` + l.RequestID + `"`, `"method":"GET"`,
		`"path":"/oidc/userinfo"`, `"status":401`, `"client_ip":"192.0.2.1"`, `"duration":`, `"bytes":`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the record encodes as %s, missing %s", out.String(), want)
		}
	}
}
