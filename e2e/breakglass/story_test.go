package breakglass

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// settingsChecks are the checks the settings page runs on a proposed IdP.
var settingsChecks = []string{"Configuration valid", "Discovery document reachable", "Issuer matches",
	"Authentication method supported", "Signing keys (JWKS) fetched", "Clock agrees with the identity provider's"}

// TestLocalRestoreStory follows an operator who broke SSO: the gateway shows that
// sign-in is unavailable; a restart with LOCAL_RESTORE=true prints a temporary
// password; the admin signs in with it, fixes the issuer on the settings page, tests
// and saves it; a restart without LOCAL_RESTORE signs users in through the IdP again,
// with the saved issuer winning over the broken one still in the environment.
func TestLocalRestoreStory(t *testing.T) {
	t.Parallel()
	bin := gateway.Build(t)
	addr := testenv.FreeAddr(t) // fixed across restarts: the redirect URI stays the same
	public := "http://" + addr
	up := newUpstream(t)
	idp := testenv.StartOIDCProvider(t, testenv.ProviderConfig{
		Clients: []testenv.Client{testenv.PublicClient("spa", public+"/oidc/callback")}})
	wrongIssuer := idp.Issuer + "/wrong"
	dataDir := t.TempDir()
	env := map[string]string{
		"LISTEN_ADDR": addr, "PUBLIC_URL": public, "UPSTREAM_URL": up.URL, "DATA_DIR": dataDir,
		"OIDC_ISSUER": wrongIssuer, "OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce",
		"OIDC_SCOPES": "openid profile email groups", "ROLE_MAP": "wandb-admins=admin",
	}
	ctx := testenv.Chrome(t)

	// (a) The wrong issuer: the gateway runs but cannot sign anyone in.
	gw := testenv.StartGateway(t, bin, env)
	p := open(t, ctx, gw.URL+"/dashboard")
	if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Text, "Sign-in is unavailable") ||
		!strings.Contains(p.Text, "The identity provider cannot be reached right now") || !strings.Contains(p.Text, "Request ID:") {
		t.Fatalf("with a wrong issuer, opening /dashboard showed %d %q; want 503 \"Sign-in is unavailable\" with a request ID", p.Status, p.Text)
	}
	if resp, body := testenv.Fetch(t, testenv.NewClient(t, false), gw.OpsURL+"/readyz", nil, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with a wrong issuer: got %d %q, want 503", resp.StatusCode, body)
	}
	stopGracefully(t, gw)

	// (b) LOCAL_RESTORE: sign in with the temporary password and fix the issuer.
	gw = testenv.StartGateway(t, bin, with(gw.Env, map[string]string{"LOCAL_RESTORE": "true"}))
	password := announcedPassword(t, gw)
	restoreAndFix(t, ctx, gw, password, idp.Issuer)
	savedFile := filepath.Join(dataDir, "settings.json")
	info, err := os.Stat(savedFile)
	if err != nil {
		t.Fatalf("after Save: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("settings.json has mode %#o, want 0600", mode)
	}
	var saved map[string]string
	if data, err := os.ReadFile(savedFile); err != nil || json.Unmarshal(data, &saved) != nil {
		t.Fatalf("settings.json: %v %q", err, data)
	}
	if want := map[string]string{"OIDC_ISSUER": idp.Issuer}; !maps.Equal(saved, want) {
		t.Errorf("settings.json = %v, want %v", saved, want)
	}
	rec := gw.WaitLogRecord(t, "the refused settings_change audit", testenv.LogWait, func(r map[string]any) bool {
		return testenv.Str(r, "event") == "settings_change" && testenv.Str(r, "outcome") == "refused"
	})
	if !slices.Equal(testenv.Strs(rec, "failed_checks"), settingsChecks[1:]) || !slices.Equal(testenv.Strs(rec, "changed"), []string{"OIDC_ISSUER"}) {
		t.Errorf("refused settings audit line = %v; want changed [OIDC_ISSUER] and failed_checks %q", rec, settingsChecks[1:])
	}
	rec = gw.WaitLogRecord(t, "the applied settings_change audit", testenv.LogWait, func(r map[string]any) bool {
		return testenv.Str(r, "event") == "settings_change" && testenv.Str(r, "outcome") == "applied"
	})
	if rec["audit"] != true || testenv.Str(rec, "user") != "admin" || testenv.Str(rec, "outcome") != "applied" ||
		!slices.Equal(testenv.Strs(rec, "changed"), []string{"OIDC_ISSUER"}) || !slices.Equal(testenv.Strs(rec, "amr"), []string{"local_restore"}) {
		t.Errorf("settings audit line = %v; want audit, user admin, amr [local_restore], outcome applied, changed [OIDC_ISSUER]", rec)
	}
	if n := strings.Count(gw.Logs(), password); n != 2 {
		t.Errorf("the temporary password appears %d times in the log, want 2 (the JSON line and the banner)", n)
	}
	stopGracefully(t, gw)

	// (c) Without LOCAL_RESTORE: the saved issuer wins over the environment's.
	gw = testenv.StartGateway(t, bin, with(gw.Env, map[string]string{"LOCAL_RESTORE": ""}))
	if gw.Env["OIDC_ISSUER"] != wrongIssuer {
		t.Fatalf("the environment's issuer is %q, want the wrong one %q still", gw.Env["OIDC_ISSUER"], wrongIssuer)
	}
	gw.WaitReady(t, 30*time.Second)
	started := gw.WaitLogRecord(t, "ssogate started", testenv.LogWait, func(r map[string]any) bool { return testenv.Str(r, "msg") == "ssogate started" })
	if testenv.Str(started, "issuer") != idp.Issuer || started["local_restore"] != false {
		t.Errorf("start line = %v; want issuer %s and local_restore false", started, idp.Issuer)
	}
	checkBreakGlassEnded(t, ctx, gw)
	signInSSO(t, ctx, gw, idp, gw.URL+"/dashboard", "alice", `document.getElementById('user') !== null`)
	if got := evaluate[string](t, ctx, `document.getElementById('user').textContent`); got != "alice" {
		t.Errorf("after SSO sign-in the upstream saw user %q, want alice", got)
	}
	if got := evaluate[string](t, ctx, `location.pathname`); got != "/dashboard" {
		t.Errorf("after SSO sign-in the browser is at %s, want /dashboard", got)
	}
	idp.WaitLog(t, "EVENT grant.success client=spa", 5*time.Second)

	// The settings page shows where the issuer now comes from.
	p = open(t, ctx, gw.URL+"/oidc/settings")
	source := evaluate[string](t, ctx, `document.querySelector('#src-OIDC_ISSUER').textContent`)
	value := evaluate[string](t, ctx, `document.getElementById('f-OIDC_ISSUER').value`)
	if p.Status != http.StatusOK || source != "saved" || value != idp.Issuer || !strings.Contains(p.Text, wrongIssuer) {
		t.Errorf("settings page for alice: %d, issuer %q from %q, text %q; want 200, %s from saved, the environment's %s shown",
			p.Status, value, source, p.Text, idp.Issuer, wrongIssuer)
	}
	// Close the browser first: the sockets it keeps open would hold up the gateway's
	// graceful shutdown at cleanup (net/http waits up to 5s for a connection that has
	// not sent its first request).
	if err := chromedp.Cancel(ctx); err != nil {
		t.Errorf("close the browser: %v", err)
	}
	stopGracefully(t, gw)
}

// restoreAndFix signs in at /oidc/restore with password, sets the issuer on the
// settings page, tests it and saves it.
func restoreAndFix(t *testing.T, ctx context.Context, gw *testenv.Gateway, password, issuer string) {
	t.Helper()
	checkSignInOffPage(t, ctx, gw)
	p := open(t, ctx, gw.URL+"/oidc/restore")
	if p.Status != http.StatusOK || !strings.Contains(p.Text, "Break-glass sign-in") || !strings.Contains(p.Text, bannerText) {
		t.Fatalf("/oidc/restore: got %d %q, want 200, the sign-in form and the banner", p.Status, p.Text)
	}
	typeInto(t, ctx, "#password", password)
	p = submit(t, ctx, "#signin")
	if !strings.HasSuffix(p.URL, "/oidc/settings") || p.Status != http.StatusOK || !strings.Contains(p.Text, bannerText) ||
		!strings.Contains(p.Text, settingsHead) || !strings.Contains(p.Text, "Signed in as admin") {
		t.Fatalf("after the break-glass sign-in: %d at %s showing %q; want 200 on /oidc/settings with the banner %q, signed in as admin\n--- gateway log ---\n%s",
			p.Status, p.URL, p.Text, bannerText, gw.Logs())
	}
	gw.WaitLogRecord(t, "the break-glass sign-in audit", testenv.LogWait, func(r map[string]any) bool {
		return testenv.Str(r, "event") == "local_restore_sign_in" && testenv.Str(r, "outcome") == "success" && testenv.Str(r, "user") == "admin"
	})

	// The page names the addresses to register at the IdP, ready to copy.
	if got := evaluate[string](t, ctx, `document.getElementById('redirect-uri').textContent`); got != gw.Env["PUBLIC_URL"]+"/oidc/callback" {
		t.Errorf("settings page shows redirect URI %q, want %s/oidc/callback", got, gw.Env["PUBLIC_URL"])
	}

	// An issuer that fails its test is neither saved nor applied.
	fill(t, ctx, [2]string{"#f-OIDC_ISSUER", issuer + "/still-wrong"})
	p = submit(t, ctx, "button#save")
	failed := evaluate[[]string](t, ctx, `[...document.querySelectorAll('ul.checks li')].map(li => li.innerText)`)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text, "Not saved") ||
		len(failed) < 2 || !strings.HasPrefix(failed[1], "✗ fail Discovery document reachable") {
		t.Errorf("Save with a broken issuer: got %d, checks %q, text %q; want 422 \"Not saved\" with discovery failed", p.Status, failed, p.Text)
	}
	if _, err := os.Stat(filepath.Join(gw.Env["DATA_DIR"], "settings.json")); err == nil {
		t.Fatalf("a change that failed its test was saved to settings.json")
	}

	fill(t, ctx, [2]string{"#f-OIDC_ISSUER", issuer})
	p = submit(t, ctx, "button#test")
	if p.Status != http.StatusOK || !strings.Contains(p.Text, "Every check passed") {
		t.Errorf("Test: got %d %q, want 200 and \"Every check passed\"", p.Status, p.Text)
	}
	checks := evaluate[[]string](t, ctx, `[...document.querySelectorAll('ul.checks li')].map(li => li.innerText)`)
	// A passing test also reports where groups come from (it runs only after discovery).
	passing := append(slices.Clone(settingsChecks), "Group source")
	if len(checks) != len(passing) {
		t.Errorf("Test showed %d checks %q, want %d", len(checks), checks, len(passing))
	}
	for i, c := range checks {
		if !strings.HasPrefix(c, "✓ pass") || i >= len(passing) || !strings.Contains(c, passing[i]) {
			t.Errorf("check %d = %q, want \"✓ pass\" for %q", i, c, passing[min(i, len(passing)-1)])
		}
	}
	if got := evaluate[string](t, ctx, `document.getElementById('f-OIDC_ISSUER').value`); got != issuer {
		t.Fatalf("after Test the issuer field holds %q, want %q", got, issuer)
	}
	if _, err := os.Stat(filepath.Join(gw.Env["DATA_DIR"], "settings.json")); err == nil {
		t.Errorf("Test saved settings.json; only Save may")
	}

	p = submit(t, ctx, "button#save")
	const savedMsg = "Saved. Single sign-on stays off while LOCAL_RESTORE is on"
	if p.Status != http.StatusOK || !strings.Contains(p.Text, savedMsg) || !strings.Contains(p.Text, bannerText) {
		t.Errorf("Save: got %d %q, want 200 with %q and the banner\n--- gateway log ---\n%s", p.Status, p.Text, savedMsg, gw.Logs())
	}
}

// checkSignInOffPage checks what a browser opening the application gets while
// LOCAL_RESTORE is on: a page saying sign-in is temporarily off, with Try again and
// the break-glass link, in the browser's language; an API client keeps its JSON.
func checkSignInOffPage(t *testing.T, ctx context.Context, gw *testenv.Gateway) {
	t.Helper()
	p := open(t, ctx, gw.URL+"/dashboard?tab=runs")
	restoreLink := evaluate[string](t, ctx, `document.querySelector('a[href="/oidc/restore"]')?.textContent ?? ""`)
	retryLink := evaluate[string](t, ctx, `document.querySelector('a.button')?.getAttribute('href') ?? ""`)
	if p.Status != http.StatusUnauthorized || !strings.Contains(p.Text, "Sign-in is temporarily off") ||
		!strings.Contains(p.Text, "try again later") || restoreLink != "Break-glass sign-in" || retryLink != "/dashboard?tab=runs" {
		t.Errorf("LOCAL_RESTORE, browser opens /dashboard: got %d %q (break-glass link %q, Try again %q); want 401 \"Sign-in is temporarily off\" with both links",
			p.Status, p.Text, restoreLink, retryLink)
	}
	c := testenv.NewClient(t, false)
	resp, body := testenv.Fetch(t, c, gw.URL+"/dashboard", nil, http.Header{"Accept": {"text/html"}, "Accept-Language": {"ko-KR,ko;q=0.9"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `<html lang="ko">`) || !strings.Contains(body, "로그인이 일시적으로 중단되었습니다") {
		t.Errorf("LOCAL_RESTORE, Korean browser opens /dashboard: got %d %q; want 401 and the Korean page", resp.StatusCode, body)
	}
	resp, body = testenv.Fetch(t, c, gw.URL+"/api/runs", nil, http.Header{"Accept": {"application/json"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
		!strings.Contains(body, `"login_url":"`+gw.URL+`/oidc/restore"`) {
		t.Errorf("LOCAL_RESTORE, API request: got %d %s %q; want 401 JSON naming /oidc/restore", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

// checkBreakGlassEnded checks that the break-glass session the browser still holds
// from the LOCAL_RESTORE run counts for nothing once SSO is back: the browser is sent
// to the IdP instead of reaching the application or the settings as "admin".
func checkBreakGlassEnded(t *testing.T, ctx context.Context, gw *testenv.Gateway) {
	t.Helper()
	for _, path := range []string{"/dashboard", "/oidc/settings"} {
		p := open(t, ctx, gw.URL+path)
		if strings.HasPrefix(p.URL, gw.URL) {
			t.Errorf("after LOCAL_RESTORE was removed, the break-glass session still opens %s: %d at %s showing %q; want a redirect to the IdP",
				path, p.Status, p.URL, p.Text)
		}
	}
}

// stopGracefully sends SIGTERM and waits for the gateway to drain and exit with 0.
// With the browser open this takes about 5 seconds: Chromium keeps a spare connection
// that never sends a request, and net/http's Shutdown waits that long for it.
func stopGracefully(t *testing.T, gw *testenv.Gateway) {
	t.Helper()
	start := time.Now()
	gw.Signal(t, syscall.SIGTERM)
	if code := gw.WaitExit(t, 40*time.Second); code != 0 {
		t.Errorf("the gateway exited with %d, want 0\n--- log ---\n%s", code, gw.Logs())
	}
	t.Logf("the gateway stopped in %v", time.Since(start))
}
