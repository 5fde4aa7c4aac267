package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/fakegraph"
	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/internal/testidp"
	"github.com/ssogate/ssogate/internal/testidp/idptest"
)

// entraStack is the gateway binary in front of the echo upstream, signing in at an
// in-process test IdP whose ID tokens are shaped like Entra's (oid, tid, and an
// overage marker instead of groups), with a fake Microsoft Graph that knows alice's
// groups and accepts the IdP's own access tokens.
type entraStack struct {
	idp   *testidp.Provider
	graph *fakegraph.Graph
	up    *echoUpstream
	gw    *testenv.Gateway
}

const (
	entraClient = "gateway"
	entraSecret = "gateway-secret"
)

// startEntraStack starts the stack with OIDC_PROVIDER=entra and the gateway settings
// in env on top; overage is "hasgroups" (the implicit flow's marker) or "claim_names".
func startEntraStack(t *testing.T, overage string, env map[string]string) *entraStack {
	t.Helper()
	addr := testenv.FreeAddr(t)
	public := "http://" + addr
	s := &entraStack{up: newEchoUpstream(t, public, public+"/oidc/jwks.json", &http.Client{Timeout: 5 * time.Second})}
	graphSrv := httptest.NewUnstartedServer(nil)
	graphURL := "http://" + graphSrv.Listener.Addr().String()
	s.idp = idptest.Start(t, testidp.Options{
		Users:   testidp.DemoUsers(),
		Clients: []testidp.Client{{ID: entraClient, Secret: entraSecret, RedirectURIs: []string{public + "/oidc/callback"}}},
		TokenHook: func(c map[string]any) {
			username, _ := c["preferred_username"].(string)
			c["oid"], c["tid"] = "oid-"+username, "5e2c8b1a-0000-4000-8000-00000000000a"
			delete(c, "groups")
			if overage == "hasgroups" {
				c["hasgroups"] = true
			} else {
				c["_claim_names"] = map[string]any{"groups": "src1"}
				c["_claim_sources"] = map[string]any{"src1": map[string]any{
					"endpoint": "https://graph.windows.net/tenant/users/oid/getMemberObjects"}}
			}
		},
	}).Provider
	s.graph = &fakegraph.Graph{
		Groups: map[string][]fakegraph.Group{"oid-alice": {
			{ID: "0a1b-admins", DisplayName: "wandb-admins"}, {ID: "0a1b-ml", DisplayName: "ml-team"},
			{ID: "0a1b-all", DisplayName: "all-staff"}}},
		Me: func(token string) (string, bool) {
			at, ok := s.idp.LookupAccessToken(token)
			return "oid-" + at.Username, ok && at.Username != ""
		},
		App: func(token string) bool {
			at, ok := s.idp.LookupAccessToken(token)
			return ok && at.Username == "" && at.ClientID == entraClient && at.Scope == graphURL+"/.default"
		},
	}
	graphSrv.Config.Handler = s.graph
	graphSrv.Start()
	t.Cleanup(graphSrv.Close)
	full := map[string]string{
		"LISTEN_ADDR": addr, "PUBLIC_URL": public, "UPSTREAM_URL": s.up.URL, "OPS_ADDR": testenv.FreeAddr(t),
		"OIDC_ISSUER": s.idp.Issuer(), "OIDC_CLIENT_ID": entraClient, "OIDC_CLIENT_SECRET": entraSecret,
		"OIDC_PROVIDER": "entra", "MICROSOFT_GRAPH_URL": graphURL, "LOG_LEVEL": "debug",
	}
	for k, v := range env {
		full[k] = v
	}
	s.gw = testenv.StartGateway(t, builder.Build(t), full)
	s.gw.WaitReady(t, 30*time.Second)
	return s
}

// signIn signs alice in through the gateway without a browser, posting the IdP's
// form_post page back when the flow is implicit, and returns the last answer and the
// signed-in client.
func (s *entraStack) signIn(t *testing.T, path string) (*http.Response, string, *http.Client) {
	t.Helper()
	c := testenv.NewClient(t, true)
	resp, page := testenv.TestIdPLogin(t, c, s.gw.URL+path, "alice", "alice", "login")
	if action, fields, ok := testenv.FindForm(page); ok && strings.HasSuffix(action, "/oidc/callback") {
		resp, page = testenv.Fetch(t, c, action, fields, nil)
	}
	return resp, page, c
}

func TestEntraGroupOverageThroughGraph(t *testing.T) {
	for _, tc := range []struct {
		name, method, overage string
		wantGroups            string
		wantPath              string
	}{
		{name: "implicit, hasgroups, application token, names", method: "implicit", overage: "hasgroups",
			wantGroups: "wandb-admins,ml-team,all-staff", wantPath: "/v1.0/users/oid-alice/transitiveMemberOf"},
		{name: "pkce, claim_names, the user's token, names", method: "pkce", overage: "claim_names",
			wantGroups: "wandb-admins,ml-team,all-staff", wantPath: "/v1.0/me/transitiveMemberOf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startEntraStack(t, tc.overage, map[string]string{"OIDC_AUTH_METHOD": tc.method,
				"ENTRA_GROUP_NAMES": "true", "ROLE_MAP": "wandb-admins=admin", "ALLOWED_GROUPS": "ml-team"})
			resp, page, client := s.signIn(t, "/runs")
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="echo"`) {
				t.Fatalf("sign-in ended with %d, not the upstream:\n%s\n--- log ---\n%s", resp.StatusCode, page, s.gw.Logs())
			}
			got := lastReceived(t, &stack{up: s.up}, "/runs")
			if h := strings.Join(got.Headers["X-Auth-Request-Groups"], ","); h != tc.wantGroups {
				t.Errorf("X-Auth-Request-Groups = %q, want %q", h, tc.wantGroups)
			}
			if role := strings.Join(got.Headers["X-Auth-Request-Role"], ""); role != "admin" {
				t.Errorf("X-Auth-Request-Role = %q, want admin from ROLE_MAP by group name", role)
			}
			if groups, _ := got.Claims["groups"].([]any); len(groups) != 3 || groups[0] != "wandb-admins" {
				t.Errorf("assertion groups = %v, want the three names", got.Claims["groups"])
			}
			if paths := s.graph.Paths(); len(paths) == 0 || paths[0] != tc.wantPath {
				t.Errorf("Graph paths = %q, want %s first", paths, tc.wantPath)
			}
			// Once per sign-in, never per request.
			calls := s.graph.Calls()
			for range 3 {
				if resp, _ := testenv.Fetch(t, client, s.gw.URL+"/runs/next", nil, nil); resp.StatusCode != http.StatusOK {
					t.Fatalf("a later request got %d, want 200", resp.StatusCode)
				}
			}
			if n := s.graph.Calls(); n != calls {
				t.Errorf("Graph calls grew from %d to %d without a sign-in", calls, n)
			}
			metrics := scrape(t, s.gw)
			if !strings.Contains(metrics, `ssogate_group_lookups_total{outcome="ok",source="graph"} 1`) {
				t.Errorf("metrics lack one ok Graph look-up:\n%s", grepLines(metrics, "group_lookups"))
			}
		})
	}
}

func TestEntraGroupLookupRefusedByGraph(t *testing.T) {
	t.Run("ALLOWED_GROUPS set: 403 naming the permission, upstream never reached", func(t *testing.T) {
		s := startEntraStack(t, "hasgroups", map[string]string{"OIDC_AUTH_METHOD": "implicit", "ALLOWED_GROUPS": "0a1b-ml"})
		s.graph.SetDeny(true)
		resp, page, _ := s.signIn(t, "/runs")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "GroupMember.Read.All") {
			t.Fatalf("got %d, want 403 naming GroupMember.Read.All:\n%s", resp.StatusCode, page)
		}
		if n := len(s.up.received()); n != 0 {
			t.Errorf("the upstream received %d requests, want none", n)
		}
		rec := s.gw.WaitRecord(t, "group look-up failed", testenv.LogWait, func(r map[string]any) bool { return testenv.Str(r, "result") == "refused" })
		if testenv.Str(rec, "outcome") != "denied" || testenv.Str(rec, "source") != "graph" || rec["audit"] != true {
			t.Errorf("audit line = %v, want a graph denied refusal", rec)
		}
	})
	t.Run("no ALLOWED_GROUPS: signed in with DEFAULT_ROLE and an audit line", func(t *testing.T) {
		s := startEntraStack(t, "hasgroups", map[string]string{"OIDC_AUTH_METHOD": "implicit", "DEFAULT_ROLE": "viewer",
			"ROLE_MAP": "0a1b-admins=admin"})
		s.graph.SetDeny(true)
		resp, page, _ := s.signIn(t, "/runs")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="echo"`) {
			t.Fatalf("got %d, want the upstream:\n%s", resp.StatusCode, page)
		}
		got := lastReceived(t, &stack{up: s.up}, "/runs")
		if g, r := got.Headers["X-Auth-Request-Groups"], strings.Join(got.Headers["X-Auth-Request-Role"], ""); len(g) > 0 && g[0] != "" || r != "viewer" {
			t.Errorf("groups %q role %q, want no groups and DEFAULT_ROLE viewer", g, r)
		}
		rec := s.gw.WaitRecord(t, "group look-up failed", testenv.LogWait, func(r map[string]any) bool {
			return testenv.Str(r, "result") == "signed_in_without_groups"
		})
		if !strings.Contains(testenv.Str(rec, "fix"), "GroupMember.Read.All") {
			t.Errorf("audit fix = %q, want it to name the permission", testenv.Str(rec, "fix"))
		}
		if m := scrape(t, s.gw); !strings.Contains(m, `ssogate_group_lookups_total{outcome="denied",source="graph"} 1`) {
			t.Errorf("metrics lack the denied look-up:\n%s", grepLines(m, "group_lookups"))
		}
	})
}

// TestThinIDTokenGroupsFromUserinfo runs oidc-provider as it ships (OpenID Connect Core
// 5.4): with an access token in the answer, the ID token carries only sub, and the
// groups, name and email are at userinfo.
func TestThinIDTokenGroupsFromUserinfo(t *testing.T) {
	addr := testenv.FreeAddr(t)
	public := "http://" + addr
	up := newEchoUpstream(t, public, public+"/oidc/jwks.json", &http.Client{Timeout: 5 * time.Second})
	idp := testenv.StartOIDCProvider(t, testenv.ProviderConfig{ConformIDTokenClaims: true,
		Clients: []testenv.Client{testenv.PublicClient("app", public+"/oidc/callback")}})
	gw := testenv.StartGateway(t, builder.Build(t), map[string]string{
		"LISTEN_ADDR": addr, "PUBLIC_URL": public, "UPSTREAM_URL": up.URL, "OPS_ADDR": testenv.FreeAddr(t),
		"OIDC_ISSUER": idp.Issuer, "OIDC_CLIENT_ID": "app", "OIDC_AUTH_METHOD": "pkce",
		"OIDC_SCOPES": "openid profile email groups", "ROLE_MAP": "wandb-admins=admin", "ALLOWED_GROUPS": "ml-team",
	})
	gw.WaitReady(t, 30*time.Second)
	s := &stack{idp: idp, up: up, gw: gw}
	_, got := httpSignIn(t, s, "/runs", "alice")
	for header, want := range map[string]string{"X-Auth-Request-Groups": "wandb-admins,ml-team",
		"X-Auth-Request-Role": "admin", "X-Auth-Request-User": "alice", "X-Auth-Request-Email": "alice@example.com"} {
		if h := strings.Join(got.Headers[header], ","); h != want {
			t.Errorf("%s = %q, want %q (from userinfo)", header, h, want)
		}
	}
	if m := scrape(t, gw); !strings.Contains(m, `ssogate_group_lookups_total{outcome="ok",source="userinfo"} 1`) {
		t.Errorf("metrics lack one ok userinfo look-up:\n%s", grepLines(m, "group_lookups"))
	}
}

// scrape returns the gateway's /metrics text.
func scrape(t *testing.T, gw *testenv.Gateway) string {
	t.Helper()
	resp, err := http.Get(gw.OpsURL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

// grepLines returns the lines of text containing substr.
func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
