package session

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ssogate/ssogate/claims"
)

// t0 is the fixed "now" of the cookie tests.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// fixedClock returns a clock that always reads at.
func fixedClock(at time.Time) func() time.Time { return func() time.Time { return at } }

// newTestStore returns a store sealing with testSecret(1), its clock at t0.
func newTestStore(t testing.TB, secure bool) *CookieStore {
	t.Helper()
	return NewCookieStore(CookieOptions{Codec: newTestCodec(t, 1), Secure: secure, Now: fixedClock(t0)})
}

// longGroups returns n distinct, long group names.
func longGroups(n int) []string {
	groups := make([]string, n)
	for i := range groups {
		groups[i] = fmt.Sprintf("org-engineering-platform-machine-learning-team-%03d", i)
	}
	return groups
}

// testSession returns a session with n long groups, created at t0, expiring an
// hour later, with raw tokens set.
func testSession(n int) *Session {
	return &Session{
		ID: "sess-1",
		Identity: claims.Identity{
			Subject:  "00u1abcd",
			Username: "ada",
			Email:    "ada@example.com",
			Name:     "Ada Lovelace",
			Groups:   longGroups(n),
			Role:     claims.RoleMember,
			AMR:      []string{claims.AMRSSO},
		},
		CreatedAt:    t0,
		ExpiresAt:    t0.Add(time.Hour),
		IDToken:      "eyJhbGciOiJSUzI1NiJ9.id-token-payload.signature",
		RefreshToken: "refresh-token-secret-value",
	}
}

// saveTo saves sess from a browser holding jar; it returns the recorder and the
// browser's jar afterwards.
func saveTo(t testing.TB, s Store, jar map[string]string, sess *Session) (*httptest.ResponseRecorder, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := s.Save(rec, requestWith(jar), sess); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return rec, applyCookies(jar, rec)
}

// requestWith builds a request carrying jar's cookies.
func requestWith(jar map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for name, value := range jar {
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	return r
}

// applyCookies returns jar updated by the response's Set-Cookie headers, as a
// browser applies them to what it sends to "/" (the logout-hint cookie, scoped to
// /logout, is left out).
func applyCookies(jar map[string]string, rec *httptest.ResponseRecorder) map[string]string {
	out := make(map[string]string, len(jar))
	for k, v := range jar {
		out[k] = v
	}
	for _, c := range rec.Result().Cookies() {
		if c.Path != "" && c.Path != "/" {
			continue
		}
		if c.MaxAge < 0 {
			delete(out, c.Name)
			continue
		}
		out[c.Name] = c.Value
	}
	return out
}
