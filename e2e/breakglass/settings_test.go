package breakglass

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// startSSO starts the provider with the clients made by clients (given the redirect
// URI; nil means one public client "spa"), an upstream, and the gateway signing in
// with "spa" by PKCE, alice's group wandb-admins mapped to role admin, and waits until
// it is ready.
func startSSO(t *testing.T, clients func(redirectURI string) []testenv.Client) (*testenv.Provider, *testenv.Gateway) {
	t.Helper()
	addr := testenv.FreeAddr(t)
	public := "http://" + addr
	if clients == nil {
		clients = func(cb string) []testenv.Client { return []testenv.Client{testenv.PublicClient("spa", cb)} }
	}
	idp := testenv.StartOIDCProvider(t, testenv.ProviderConfig{Clients: clients(public + "/oidc/callback")})
	gw := testenv.StartGateway(t, gateway.Build(t), map[string]string{
		"LISTEN_ADDR": addr, "PUBLIC_URL": public, "UPSTREAM_URL": newUpstream(t).URL,
		"OIDC_ISSUER": idp.Issuer, "OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce",
		"OIDC_SCOPES": "openid profile email groups", "ROLE_MAP": "wandb-admins=admin",
	})
	gw.WaitReady(t, 30*time.Second)
	return idp, gw
}

// TestSettingsNonAdminRefused signs in bob (group ml-team, role member) and alice
// (wandb-admins, role admin) through the IdP: only alice gets the settings page.
func TestSettingsNonAdminRefused(t *testing.T) {
	t.Parallel()
	idp, gw := startSSO(t, nil)
	ctx := testenv.Chrome(t)

	signInSSO(t, ctx, gw, idp, gw.URL+"/oidc/settings", "bob", `document.querySelector('h1') !== null`)
	p := open(t, ctx, gw.URL+"/oidc/settings")
	if p.Status != http.StatusForbidden || !strings.Contains(p.Text, "Only administrators can open the settings") ||
		!strings.Contains(p.Text, "Signed in as Bob Builder (bob@example.com)") || !strings.Contains(p.Text, "You can use the application") ||
		strings.Count(p.Text, "ask your administrator") != 1 {
		t.Errorf("/oidc/settings for bob: got %d %q; want 403 saying only the settings are refused, for bob, asking the administrator once", p.Status, p.Text)
	}
	if other := evaluate[string](t, ctx, `document.querySelector('a[href="/logout"]')?.textContent ?? ""`); other != "Sign in with another account" {
		t.Errorf("bob's 403 page: the /logout link reads %q, want \"Sign in with another account\"", other)
	}
	if hasElement(t, ctx, "button#save") || strings.Contains(p.Text, settingsHead) {
		t.Errorf("bob's 403 page shows the settings form: %q", p.Text)
	}
	rec := gw.WaitLogRecord(t, "bob's access_denied audit", testenv.LogWait, func(r map[string]any) bool {
		return testenv.Str(r, "event") == "access_denied" && testenv.Str(r, "user") == "bob"
	})
	if rec["audit"] != true || testenv.Str(rec, "reason") != "not_admin" || testenv.Str(rec, "path") != "/oidc/settings" {
		t.Errorf("access denied line = %v; want audit true, reason not_admin, path /oidc/settings", rec)
	}
	// bob is signed in and may use the application: only the settings are refused, and
	// the page leads back to it.
	p = submit(t, ctx, `a.button[href="/"]`)
	if user := evaluate[string](t, ctx, `(document.getElementById('user') || {}).textContent || ''`); p.Status != http.StatusOK || user != "bob" {
		t.Errorf("Back to the application for bob: got %d with user %q, want the application's 200 for bob", p.Status, user)
	}
	p = open(t, ctx, gw.URL+"/projects")
	if user := evaluate[string](t, ctx, `(document.getElementById('user') || {}).textContent || ''`); p.Status != http.StatusOK || user != "bob" {
		t.Errorf("/projects for bob: got %d with user %q, want 200 for bob", p.Status, user)
	}

	clearCookies(t, ctx)
	signInSSO(t, ctx, gw, idp, gw.URL+"/oidc/settings", "alice", `document.getElementById('save') !== null`)
	p = open(t, ctx, gw.URL+"/oidc/settings")
	if p.Status != http.StatusOK || !strings.Contains(p.Text, settingsHead) || !strings.Contains(p.Text, "Signed in as alice") ||
		strings.Contains(p.Text, bannerText) {
		t.Errorf("/oidc/settings for alice: got %d %q; want 200, the settings page for alice, no LOCAL_RESTORE banner", p.Status, p.Text)
	}
	if value := evaluate[string](t, ctx, `document.getElementById('f-OIDC_ISSUER').value`); value != idp.Issuer {
		t.Errorf("alice's settings page shows issuer %q, want %q", value, idp.Issuer)
	}
}

// TestSettingsChangeAppliedWithoutRestart has alice switch the gateway to another
// (confidential) client and restrict it to her group on the settings page: the next
// requests follow the new settings without a restart, and the audit line names the
// changed settings but no value.
func TestSettingsChangeAppliedWithoutRestart(t *testing.T) {
	t.Parallel()
	const secret = "web2-Secret-4b8e1f0c9d27a6"
	idp, gw := startSSO(t, func(cb string) []testenv.Client {
		return []testenv.Client{testenv.PublicClient("spa", cb), testenv.ConfidentialClient("web2", secret, cb)}
	})
	bob := testenv.NewClient(t, true)
	if resp, body := testenv.ProviderLogin(t, bob, gw.URL+"/runs", "bob"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `<p id="user">bob</p>`) {
		t.Fatalf("bob before the change: got %d %q, want the upstream page for bob", resp.StatusCode, body)
	}

	ctx := testenv.Chrome(t)
	signInSSO(t, ctx, gw, idp, gw.URL+"/oidc/settings", "alice", `document.getElementById('save') !== null`)
	fill(t, ctx, [2]string{"#f-OIDC_CLIENT_ID", "web2"}, [2]string{"#f-OIDC_CLIENT_SECRET", secret},
		[2]string{"#f-ALLOWED_GROUPS", "wandb-admins"})
	p := submit(t, ctx, "button#save")
	if p.Status != http.StatusOK || !strings.Contains(p.Text, "Saved and applied.") {
		t.Fatalf("Save: got %d %q, want 200 \"Saved and applied.\"\n--- gateway log ---\n%s", p.Status, p.Text, gw.Logs())
	}
	source := evaluate[string](t, ctx, `document.querySelector('#src-OIDC_CLIENT_ID').textContent`)
	value := evaluate[string](t, ctx, `document.getElementById('f-OIDC_CLIENT_ID').value`)
	if source != "saved" || value != "web2" || strings.Contains(p.Text, secret) {
		t.Errorf("after Save the client ID shows %q from %q; want web2 from saved, and the secret never on the page", value, source)
	}

	// bob's next request meets the new group rule.
	resp, body := testenv.Fetch(t, bob, gw.URL+"/runs", nil, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "You can&#39;t use this application") || !strings.Contains(body, "wandb-admins") {
		t.Errorf("bob after the change: got %d %q, want 403 naming the allowed group", resp.StatusCode, body)
	}
	// A new sign-in asks the IdP for the new client.
	resp, _ = testenv.Fetch(t, testenv.NewClient(t, false), gw.URL+"/oidc/login?rd=/x", nil, nil)
	auth, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(auth.String(), idp.Issuer) || auth.Query().Get("client_id") != "web2" {
		t.Errorf("/oidc/login after the change: got %d to %q, want 302 to the IdP with client_id web2", resp.StatusCode, auth)
	}
	// ... and completes with the new client's secret.
	alice := testenv.NewClient(t, true)
	if resp, body := testenv.ProviderLogin(t, alice, gw.URL+"/after", "alice"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `<p id="user">alice</p>`) {
		t.Errorf("alice signing in afresh: got %d %q, want the upstream page for alice", resp.StatusCode, body)
	}
	idp.WaitLog(t, "EVENT grant.success client=web2", 5*time.Second)

	rec := gw.WaitLogRecord(t, "the settings_change audit", testenv.LogWait, func(r map[string]any) bool { return testenv.Str(r, "event") == "settings_change" })
	changed := testenv.Strs(rec, "changed")
	slices.Sort(changed)
	if want := []string{"ALLOWED_GROUPS", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"}; rec["audit"] != true || testenv.Str(rec, "user") != "alice" ||
		testenv.Str(rec, "action") != "save" || testenv.Str(rec, "outcome") != "applied" || !slices.Equal(changed, want) {
		t.Errorf("settings audit line = %v; want audit, user alice, action save, outcome applied, changed %v", rec, want)
	}
	logs := gw.Logs()
	if strings.Contains(logs, secret) {
		t.Errorf("the new client secret appears in the gateway's log")
	}
	if n := len(testenv.LogRecords(logs, func(r map[string]any) bool { return testenv.Str(r, "msg") == "ssogate started" })); n != 1 {
		t.Errorf("the gateway started %d times, want once (no restart)", n)
	}
}
