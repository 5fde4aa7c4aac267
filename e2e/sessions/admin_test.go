package sessions

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestRevokeByEmailWithCookieStore: with sessions in cookies, an administrator signs
// bob out everywhere by his email, typed in another case. Bob's next request is
// refused, on a replica that shares REVOCATION_STORE too; jisoo and the admin go on;
// the audit line names the admin and the user; bob can sign in again. It runs with the
// revocation list in the process and in Redis.
func TestRevokeByEmailWithCookieStore(t *testing.T) {
	for _, tc := range []struct {
		name     string
		replicas int
		redis    bool
	}{{"memory", 1, false}, {"redis", 2, true}} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"ROLE_MAP": "wandb-admins=admin"}
			if tc.redis {
				env["REVOCATION_STORE"] = testenv.StartRedis(t).URL()
			}
			gws := startGateways(t, builder.Build(t), tc.replicas, env)
			gw, last := gws[0], gws[len(gws)-1]
			admin := signInClient(t, gw, "alice")
			bob, jisoo := signInProvider(t, gw, "bob"), signInProvider(t, gw, "jisoo")
			wantUpstream(t, last, bob, "bob")
			wantUpstream(t, gw, jisoo, "jisoo")

			out := revokeAs(t, gw, admin, "BOB@Example.com")
			if out["revoked"] != true || !slices.Contains(testenv.Strs(out, "revoked_as"), "email") {
				t.Errorf("revoke answer %v, want revoked true with an email entry", out)
			}
			for _, g := range gws {
				wantUnauthenticated(t, g, bob)
				wantUpstream(t, g, jisoo, "jisoo")
			}
			if r := get(t, gw.URL+"/app", bob, testenv.AcceptHTML); r.status != http.StatusFound ||
				!strings.Contains(r.header.Get("Location"), "/auth?") {
				t.Errorf("bob's next page: %d to %q, want 302 to the provider's sign-in", r.status, r.header.Get("Location"))
			}
			if r, _ := testenv.Fetch(t, admin, gw.URL+"/api/runs", nil, http.Header{"Accept": {acceptJSON}}); r.StatusCode != http.StatusOK {
				t.Errorf("the admin's own request after the revocation: %d, want 200", r.StatusCode)
			}
			gw.WaitRecord(t, "sessions revoked", testenv.LogWait, func(rec map[string]any) bool {
				return rec["audit"] == true && rec["admin"] == "alice" && rec["user"] == "BOB@Example.com"
			})
			wantUpstream(t, last, signInProvider(t, gw, "bob"), "bob") // signed in again
		})
	}
}

// startGateways starts an oidc-provider, an echo upstream and n gateways (the binary
// bin) in front of it (pkce, sessions in cookies sharing COOKIE_SECRET and DATA_DIR),
// each with env on top of the usual settings.
func startGateways(t *testing.T, bin string, n int, env map[string]string) []*testenv.Gateway {
	t.Helper()
	up := newEchoUpstream(t)
	client := testenv.PublicClient(clientID)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = testenv.FreeAddr(t)
		client.RedirectURIs = append(client.RedirectURIs, "http://"+addrs[i]+"/oidc/callback")
	}
	idp := testenv.StartOIDCProvider(t, testenv.ProviderConfig{Clients: []testenv.Client{client}})
	secret, dataDir := newCookieSecret(t), t.TempDir()
	var gws []*testenv.Gateway
	for _, addr := range addrs {
		e := map[string]string{
			"LISTEN_ADDR": addr, "PUBLIC_URL": "http://" + addr, "UPSTREAM_URL": up.URL,
			"OIDC_ISSUER": idp.Issuer, "OIDC_CLIENT_ID": clientID, "OIDC_AUTH_METHOD": "pkce",
			"OIDC_SCOPES": "openid profile email groups", "COOKIE_SECRET": secret, "DATA_DIR": dataDir,
		}
		maps.Copy(e, env)
		gw := testenv.StartGateway(t, bin, e)
		gw.WaitReady(t, 30*time.Second)
		gws = append(gws, gw)
	}
	return gws
}

// signInClient signs user in at gw with a fresh client and returns the client, whose
// jar holds the session.
func signInClient(t *testing.T, gw *testenv.Gateway, user string) *http.Client {
	t.Helper()
	client := testenv.NewClient(t, true)
	resp, page := testenv.ProviderLogin(t, client, gw.URL+"/app", user)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="echo"`) {
		t.Fatalf("sign in as %s at %s: status %d\n%s\n--- gateway log ---\n%s", user, gw.URL, resp.StatusCode, page, gw.Logs())
	}
	return client
}

// revokeAs reads the sessions page's CSRF token with admin's client, then posts the
// sign-out form for user and returns the JSON answer, which must be 200.
func revokeAs(t *testing.T, gw *testenv.Gateway, admin *http.Client, user string) map[string]any {
	t.Helper()
	asJSON := http.Header{"Accept": {acceptJSON}}
	resp, body := testenv.Fetch(t, admin, gw.URL+"/oidc/sessions", nil, asJSON)
	var list struct {
		CSRFToken string `json:"csrf_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || list.CSRFToken == "" {
		t.Fatalf("admin GET /oidc/sessions: %d %s; want 200 with a CSRF token", resp.StatusCode, body)
	}
	form := url.Values{"user": {user}, "csrf_token": {list.CSRFToken}}
	resp, body = testenv.Fetch(t, admin, gw.URL+"/oidc/sessions/revoke", form, asJSON)
	var out map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil {
		t.Fatalf("admin POST /oidc/sessions/revoke user=%q: %d %s; want 200 with JSON", user, resp.StatusCode, body)
	}
	return out
}
