// Package breakglass drives LOCAL_RESTORE, the break-glass sign-in, and the admin
// settings page end to end: the built gateway binary, the real OpenID provider
// (oidc-provider under Node.js), a headless Chromium and an echo upstream in this
// process, all on 127.0.0.1.
package breakglass

import (
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// gateway builds the gateway binary once for the whole test binary.
var gateway testenv.Builder

func TestMain(m *testing.M) { os.Exit(gateway.Run(m)) }

// Texts of the gateway's pages that the tests look for.
const (
	bannerText   = "LOCAL_RESTORE is on: SSO is disabled"
	restoreMsg   = "LOCAL_RESTORE is on: SSO is disabled. Sign in at the URL"
	settingsHead = "Single sign-on settings"
)

// newUpstream starts the application behind the gateway: a page that shows the user
// the gateway vouched for in <p id="user">.
func newUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><meta charset=\"utf-8\"><title>upstream</title>\n<p id=\"user\">%s</p><p id=\"role\">%s</p>\n",
			html.EscapeString(r.Header.Get("X-Auth-Request-User")), html.EscapeString(r.Header.Get("X-Auth-Request-Role")))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// with returns a copy of env with the changes applied; an empty value removes a key.
func with(env map[string]string, changes map[string]string) map[string]string {
	out := maps.Clone(env)
	for k, v := range changes {
		if v == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// bannerRE matches the plain-text announcement on stderr.
var bannerRE = regexp.MustCompile(`sign in at (\S+) as user "admin" with temporary password (\S+) \*\*\*`)

// announcedPassword reads the break-glass password from the gateway's JSON log line
// and checks that the plain-text banner on stderr names the same password and URL.
func announcedPassword(t *testing.T, gw *testenv.Gateway) string {
	t.Helper()
	rec := gw.WaitLogRecord(t, "the break-glass password", testenv.LogWait, func(r map[string]any) bool {
		return strings.HasPrefix(testenv.Str(r, "msg"), restoreMsg)
	})
	password, wantURL := testenv.Str(rec, "password"), gw.URL+"/oidc/restore"
	if len(password) < 20 || testenv.Str(rec, "user") != "admin" || testenv.Str(rec, "url") != wantURL || testenv.Str(rec, "level") != "WARN" {
		t.Fatalf("announcement = %v; want level WARN, user admin, url %s and a password of 20+ characters", rec, wantURL)
	}
	gw.WaitLog(t, "*** LOCAL_RESTORE is on: SSO is disabled ***", 10*time.Second)
	m := bannerRE.FindStringSubmatch(gw.Logs())
	if m == nil || m[1] != wantURL || m[2] != password {
		t.Fatalf("stderr banner = %q; want the sign-in URL %s and the password of the JSON log line", m, wantURL)
	}
	return password
}

var csrfRE = regexp.MustCompile(`<input type="hidden" name="csrf_token" value="([^"]+)">`)

// csrfToken returns the form token of a gateway page.
func csrfToken(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf_token field on the page %q", page)
	}
	return html.UnescapeString(m[1])
}

// restoreAttempt fetches the break-glass form (for its CSRF cookie and token) and
// posts user admin with password, without following the redirect of a success.
func restoreAttempt(t *testing.T, c *http.Client, gwURL, password string) (*http.Response, string) {
	t.Helper()
	resp, page := testenv.Fetch(t, c, gwURL+"/oidc/restore", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /oidc/restore: got %d, want 200; body %q", resp.StatusCode, page)
	}
	form := url.Values{"csrf_token": {csrfToken(t, page)}, "username": {"admin"}, "password": {password}}
	return testenv.Fetch(t, c, gwURL+"/oidc/restore", form, nil)
}
