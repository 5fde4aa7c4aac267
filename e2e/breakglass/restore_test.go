package breakglass

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestRestoreLockout guesses the break-glass password from one address: five wrong
// guesses are refused one by one, then the address is locked out, even with the
// right password. Without LOCAL_RESTORE there is no break-glass page at all.
func TestRestoreLockout(t *testing.T) {
	t.Parallel()
	bin := gateway.Build(t)
	gw := testenv.StartGateway(t, bin, map[string]string{"LOCAL_RESTORE": "true"}) // no OIDC settings at all
	password := announcedPassword(t, gw)
	c := testenv.NewClient(t, false)

	for i := range 5 {
		resp, body := restoreAttempt(t, c, gw.URL, "wrong-guess-"+strconv.Itoa(i))
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password.") {
			t.Fatalf("wrong password %d: got %d, want 401 with \"Wrong user name or password.\"; body %q", i+1, resp.StatusCode, body)
		}
	}
	resp, body := restoreAttempt(t, c, gw.URL, password)
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || retry < 1 || retry > 300 ||
		!strings.Contains(body, "Too many attempts") {
		t.Fatalf("the right password after five wrong ones: got %d, Retry-After %q, body %q; want 429, Retry-After 1–300 seconds, \"Too many attempts\"",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("the locked-out attempt redirected to %s; want no sign-in", loc)
	}

	reasons := map[string]int{}
	attempts := gw.WaitLogRecords(t, "event local_restore_sign_in", 6, 10*time.Second, func(r map[string]any) bool { return testenv.Str(r, "event") == "local_restore_sign_in" })
	for _, rec := range attempts {
		reasons[testenv.Str(rec, "outcome")+"/"+testenv.Str(rec, "reason")]++
		if rec["audit"] != true || testenv.Str(rec, "client_ip") != "127.0.0.1" {
			t.Errorf("audit line %v: want audit true and client_ip 127.0.0.1", rec)
		}
	}
	if reasons["failure/wrong_credentials"] != 5 || reasons["failure/rate_limited"] != 1 || len(reasons) != 2 {
		t.Errorf("break-glass audit lines by outcome/reason = %v; want 5 wrong_credentials and 1 rate_limited", reasons)
	}
	if logs := gw.Logs(); strings.Contains(logs, "wrong-guess-") {
		t.Errorf("a guessed password appears in the log:\n%s", logs)
	}

	// Without LOCAL_RESTORE the page does not exist, whatever the method.
	sso := testenv.StartGateway(t, bin, map[string]string{"OIDC_ISSUER": "http://127.0.0.1:1", "OIDC_CLIENT_ID": "spa"})
	plain := testenv.NewClient(t, false)
	for _, form := range []url.Values{nil, {"username": {"admin"}, "password": {password}}} {
		resp, body := testenv.Fetch(t, plain, sso.URL+"/oidc/restore", form, nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Not found") {
			t.Errorf("%s /oidc/restore without LOCAL_RESTORE: got %d %q, want 404 \"Not found\"", resp.Request.Method, resp.StatusCode, body)
		}
	}
	if strings.Contains(sso.Logs(), `"password"`) || strings.Contains(sso.Logs(), "LOCAL_RESTORE is on") {
		t.Errorf("a gateway without LOCAL_RESTORE announced a break-glass password:\n%s", sso.Logs())
	}
}

// TestSettingsPostWithoutCSRFRefused signs in as the break-glass admin and posts the
// settings form without its token, with a wrong one, and from another site: each is
// refused with 403 and nothing is saved. A form without its token fails the form's
// check; one from another site is refused before that, by the router's cross-origin
// layer (reason cross_origin). The same form with its token is accepted.
func TestSettingsPostWithoutCSRFRefused(t *testing.T) {
	t.Parallel()
	gw := testenv.StartGateway(t, gateway.Build(t), map[string]string{"LOCAL_RESTORE": "true"})
	password := announcedPassword(t, gw)
	c := testenv.NewClient(t, false)
	resp, body := restoreAttempt(t, c, gw.URL, password)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/oidc/settings" {
		t.Fatalf("break-glass sign-in: got %d to %q, body %q; want 303 to /oidc/settings", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = testenv.Fetch(t, c, gw.URL+"/oidc/settings", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, settingsHead) {
		t.Fatalf("GET /oidc/settings as the break-glass admin: got %d, want 200 and the settings page; body %q", resp.StatusCode, body)
	}
	token := csrfToken(t, body)
	savedFile := filepath.Join(gw.Env["DATA_DIR"], "settings.json")

	save := func(token string) url.Values {
		f := url.Values{"action": {"save"}, "OIDC_ISSUER": {"http://127.0.0.1:9/evil"}, "OIDC_CLIENT_ID": {"evil"}}
		if token != "" {
			f.Set("csrf_token", token)
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		header http.Header
		want   string // the page's heading
	}{
		{"no token", save(""), nil, "Form expired"},
		{"wrong token", save(strings.Repeat("A", 43)), nil, "Form expired"},
		{"cross-site Origin", save(token), http.Header{"Origin": {"http://evil.example"}}, "Request refused"},
		{"cross-site fetch", save(token), http.Header{"Sec-Fetch-Site": {"cross-site"}}, "Request refused"},
	} {
		resp, body := testenv.Fetch(t, c, gw.URL+"/oidc/settings", tc.form, tc.header)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, tc.want) {
			t.Errorf("%s: got %d, want 403 %q; body %q", tc.name, resp.StatusCode, tc.want, body)
		}
		if _, err := os.Stat(savedFile); err == nil {
			t.Fatalf("%s: settings.json was written", tc.name)
		}
	}
	refused := gw.WaitLogRecords(t, "a refused settings change", 2, 10*time.Second, func(r map[string]any) bool {
		return testenv.Str(r, "msg") == "settings change refused: CSRF check failed"
	})
	for _, rec := range refused {
		if testenv.Str(rec, "user") != "admin" || !strings.HasPrefix(testenv.Str(rec, "error"), "csrf: ") {
			t.Errorf("refusal line %v: want user admin and the CSRF error", rec)
		}
	}
	crossSite := gw.WaitLogRecords(t, "a cross-origin refusal", 2, 10*time.Second, func(r map[string]any) bool {
		return testenv.Str(r, "msg") == "cross-origin request refused"
	})
	for _, rec := range crossSite {
		if testenv.Str(rec, "reason") != "cross_origin" || testenv.Str(rec, "path") != "/oidc/settings" || rec["status"] != float64(http.StatusForbidden) {
			t.Errorf("cross-origin refusal line %v: want reason cross_origin, path /oidc/settings, status 403", rec)
		}
	}
	if len(refused) != 2 || len(crossSite) != 2 {
		t.Errorf("%d \"settings change refused: CSRF check failed\" and %d \"cross-origin request refused\" lines, want 2 and 2", len(refused), len(crossSite))
	}

	// The same form with its token, from the gateway's own page, gets through.
	form := url.Values{"csrf_token": {token}, "action": {"test"}, "OIDC_ISSUER": {"http://127.0.0.1:1"}}
	resp, body = testenv.Fetch(t, c, gw.URL+"/oidc/settings", form, http.Header{"Origin": {gw.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Test results") || !strings.Contains(body, "Discovery document reachable") {
		t.Errorf("the form with its token: got %d, want 200 with the test results; body %q", resp.StatusCode, body)
	}
	if recs := testenv.LogRecords(gw.Logs(), func(r map[string]any) bool { return testenv.Str(r, "event") == "settings_change" }); len(recs) != 0 {
		t.Errorf("refused forms (or a test) produced settings_change lines: %v", recs)
	}
}
