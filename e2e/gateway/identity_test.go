package gateway

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// identityUsers are the provider's users for the identity tests: alice (admin) and
// mallory, who set alice's address as her own email at an IdP that does not verify it.
func identityUsers() []testenv.User {
	return []testenv.User{
		{Sub: "alice", Username: "alice", Password: "alice", Email: "alice@example.com", EmailVerified: true,
			Name: "Alice Admin", Groups: []string{"wandb-admins", "ml-team"}},
		{Sub: "mallory", Password: "mallory", Email: "alice@example.com", EmailVerified: false,
			Name: "Mallory", Groups: []string{"ml-team"}},
	}
}

// startIdentityStack is a pkce stack (the callback is a GET, so a plain HTTP client
// signs in) with identityUsers.
func startIdentityStack(t *testing.T, env map[string]string) *stack {
	t.Helper()
	full := map[string]string{"OIDC_CLIENT_ID": "app", "OIDC_AUTH_METHOD": "pkce", "ROLE_MAP": "wandb-admins=admin"}
	for k, v := range env {
		full[k] = v
	}
	return startStackUsers(t, func(redirect string) testenv.Client { return testenv.PublicClient("app", redirect) },
		identityUsers(), full)
}

// httpSignIn signs user in with a fresh cookie jar and returns the client and what the
// upstream received for path.
func httpSignIn(t *testing.T, s *stack, path, user string) (*http.Client, echoed) {
	t.Helper()
	c := testenv.NewClient(t, true)
	resp, body := testenv.ProviderLogin(t, c, s.gw.URL+path, user)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), s.gw.URL+path) {
		t.Fatalf("sign-in as %s: got %d at %s, want 200 at %s; body %q", user, resp.StatusCode, resp.Request.URL, path, body)
	}
	return c, lastReceived(t, s, path)
}

// lastReceived returns the last request the upstream received for path.
func lastReceived(t *testing.T, s *stack, path string) echoed {
	t.Helper()
	got := s.up.received()
	for i := len(got) - 1; i >= 0; i-- {
		if got[i].Path == path {
			return got[i]
		}
	}
	t.Fatalf("the upstream received no request for %s", path)
	return echoed{}
}

// TestUnverifiedEmailNeverReachesUpstream: mallory's token carries alice's address with
// email_verified false. The upstream must not be told she is alice@example.com, in the
// headers or the assertion, and the user name falls back to her sub.
func TestUnverifiedEmailNeverReachesUpstream(t *testing.T) {
	t.Parallel()
	s := startIdentityStack(t, nil)
	_, e := httpSignIn(t, s, "/whoami", "mallory")
	if got := e.Headers["X-Auth-Request-Email"]; len(got) != 1 || got[0] != "" {
		t.Errorf("X-Auth-Request-Email = %q, want one empty value", got)
	}
	if got := strings.Join(e.Headers["X-Auth-Request-User"], ","); got != "mallory" {
		t.Errorf("X-Auth-Request-User = %q, want the sub %q", got, "mallory")
	}
	if e.AssertionError != "" {
		t.Fatalf("assertion: %s", e.AssertionError)
	}
	if v, ok := e.Claims["email"]; ok && v != "" {
		t.Errorf("assertion email = %v, want none", v)
	}
	if e.Claims["preferred_username"] != "mallory" || e.Claims["email_verified"] == true {
		t.Errorf("assertion preferred_username %v, email_verified %v; want mallory and not true",
			e.Claims["preferred_username"], e.Claims["email_verified"])
	}
	rec := s.gw.WaitLogRecords(t, "email_unverified audit line", 1, 10*time.Second, func(r map[string]any) bool {
		return testenv.Str(r, "event") == "email_unverified" && testenv.Str(r, "sub") == "mallory"
	})[0]
	if rec["audit"] != true || testenv.Str(rec, "code") != "email_not_verified" {
		t.Errorf("audit line = %v, want audit true with code email_not_verified", rec)
	}
	// alice, whose address is verified, still arrives with it.
	_, e = httpSignIn(t, s, "/whoami", "alice")
	if got := strings.Join(e.Headers["X-Auth-Request-Email"], ","); got != "alice@example.com" {
		t.Errorf("alice: X-Auth-Request-Email = %q, want alice@example.com", got)
	}
}

// TestMultiTenantIssuerNeedsAllowedTenants: the binary refuses to start with a common
// issuer, which admits every Microsoft tenant, until ALLOWED_TENANTS names the tenants.
func TestMultiTenantIssuerNeedsAllowedTenants(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OIDC_ISSUER": "https://login.microsoftonline.com/common/v2.0", "OIDC_CLIENT_ID": "app",
		"DATA_DIR": t.TempDir(), "LISTEN_ADDR": testenv.FreeAddr(t), "OPS_ADDR": testenv.FreeAddr(t)}
	out, code := testenv.RunGateway(t, builder.Build(t), env)
	if code == 0 || !strings.Contains(out, "ALLOWED_TENANTS is required with a multi-tenant Entra issuer") {
		t.Errorf("start with a common issuer and no ALLOWED_TENANTS: exit %d, output %q; want non-zero naming ALLOWED_TENANTS", code, out)
	}
}

// TestDemotedAdminLosesRoleAtOnce: alice, signed in as admin through ROLE_MAP, saves a
// ROLE_MAP without the admin mapping on the settings page. Her open session is judged
// by the live mapping from the next request on: the upstream gets role member (in the
// header and a freshly signed assertion) and the settings page refuses her.
func TestDemotedAdminLosesRoleAtOnce(t *testing.T) {
	t.Parallel()
	s := startIdentityStack(t, map[string]string{"DATA_DIR": t.TempDir()})
	c, e := httpSignIn(t, s, "/before", "alice")
	if got := strings.Join(e.Headers["X-Auth-Request-Role"], ","); got != "admin" || e.Claims["role"] != "admin" {
		t.Fatalf("before: role header %q, assertion role %v; want admin", got, e.Claims["role"])
	}
	resp, page := testenv.Fetch(t, c, s.gw.URL+"/oidc/settings", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /oidc/settings as admin: got %d; body %q", resp.StatusCode, page)
	}
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the settings page: %q", page)
	}
	form := url.Values{"csrf_token": {m[1]}, "action": {"save"}, "ROLE_MAP": {"ml-team=member"}}
	resp, page = testenv.Fetch(t, c, s.gw.URL+"/oidc/settings", form, http.Header{"Origin": {s.gw.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("saving ROLE_MAP: got %d; body %q", resp.StatusCode, page)
	}
	s.gw.WaitLogRecords(t, "settings_change audit line", 1, 10*time.Second, func(r map[string]any) bool {
		return testenv.Str(r, "event") == "settings_change"
	})

	resp, body := testenv.Fetch(t, c, s.gw.URL+"/after", nil, nil)
	e = lastReceived(t, s, "/after")
	if got := strings.Join(e.Headers["X-Auth-Request-Role"], ","); resp.StatusCode != http.StatusOK || got != "member" {
		t.Errorf("after: got %d, role header %q; want 200 and member; body %q", resp.StatusCode, got, body)
	}
	if e.AssertionError != "" || e.Claims["role"] != "member" {
		t.Errorf("after: assertion role %v (error %q), want member", e.Claims["role"], e.AssertionError)
	}
	resp, body = testenv.Fetch(t, c, s.gw.URL+"/oidc/settings", nil, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /oidc/settings after the demotion: got %d, want 403; body %q", resp.StatusCode, body)
	}
}

// TestGatewayCookiesAndCredentialsStayWithTheGateway: the upstream never receives the
// gateway's own cookies (a signed-in browser's session cookie), while the
// application's cookies pass; and an API key sent as the Basic user name never
// reaches the gateway's log, only a short digest of it.
func TestGatewayCookiesAndCredentialsStayWithTheGateway(t *testing.T) {
	t.Parallel()
	s := startIdentityStack(t, map[string]string{"API_KEY_PASSTHROUGH": "true"})

	t.Run("cookies", func(t *testing.T) {
		c, _ := httpSignIn(t, s, "/first", "alice")
		gw, _ := url.Parse(s.gw.URL)
		c.Jar.SetCookies(gw, []*http.Cookie{{Name: "app_session", Value: "kept-as-is", Path: "/"}})
		var ours []string
		for _, ck := range c.Jar.Cookies(gw) {
			if strings.HasPrefix(ck.Name, "ssogate") {
				ours = append(ours, ck.Name)
			}
		}
		if len(ours) == 0 {
			t.Fatalf("the browser holds none of the gateway's cookies after signing in")
		}
		resp, body := testenv.Fetch(t, c, s.gw.URL+"/second", nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /second signed in: got %d; body %q", resp.StatusCode, body)
		}
		got := strings.Join(lastReceived(t, s, "/second").Headers["Cookie"], "; ")
		// The provider's cookies (same host, another port) are the application's as
		// far as the gateway can tell: they pass too.
		if strings.Contains(got, "ssogate") || !strings.Contains(got, "app_session=kept-as-is") {
			t.Errorf("upstream Cookie = %q, want app_session=kept-as-is and none of the gateway's %v", got, ours)
		}
	})

	t.Run("basic user name", func(t *testing.T) {
		const apiKey = "local-0123456789abcdef0123456789abcdef"
		req := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(apiKey+":x"))},
			"Accept": {"application/json"}}
		resp, body := testenv.Fetch(t, testenv.NewClient(t, false), s.gw.URL+"/api/basic", nil, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("Basic with API_KEY_PASSTHROUGH: got %d, want 200; body %q", resp.StatusCode, body)
		}
		sum := sha256.Sum256([]byte(apiKey))
		rec := s.gw.WaitLogRecords(t, "the passthrough audit line", 1, 10*time.Second, func(r map[string]any) bool {
			return testenv.Str(r, "event") == "api_key_passthrough" && testenv.Str(r, "path") == "/api/basic"
		})[0]
		if got, want := testenv.Str(rec, "basic_user_sha256"), hex.EncodeToString(sum[:6]); got != want {
			t.Errorf("audit line basic_user_sha256 = %q, want %q", got, want)
		}
		if strings.Contains(s.gw.Logs(), apiKey) {
			t.Errorf("the gateway's log contains the API key sent as the Basic user name")
		}
	})
}
