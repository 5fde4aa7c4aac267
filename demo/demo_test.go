package demo

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/assertion"
	"github.com/ssogate/ssogate/claims"
)

func TestStartRefusesAGatewayOffLoopback(t *testing.T) {
	for _, gw := range []string{"http://0.0.0.0:4180", "http://192.0.2.10:4180", "http://wandb.example.com", "http://[::]:4180", "%zz"} {
		t.Run(gw, func(t *testing.T) {
			env, err := Start(gw)
			if err == nil {
				env.Close()
				t.Fatalf("Start(%q) succeeded; want an error", gw)
			}
			if !strings.Contains(err.Error(), "loopback") {
				t.Errorf("got error %q, want it to say the gateway must be on loopback", err)
			}
		})
	}
}

func TestStartRunsTheIdPForTheGateway(t *testing.T) {
	const gateway = "http://127.0.0.1:4180"
	env, err := Start(gateway)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer env.Close()
	client := &http.Client{Timeout: 5 * time.Second}

	for _, u := range []string{env.Issuer, env.Upstream} {
		if pu, err := url.Parse(u); err != nil || pu.Hostname() != "127.0.0.1" {
			t.Errorf("got server URL %q, want one on 127.0.0.1", u)
		}
	}
	var names []string
	for _, u := range env.Users {
		names = append(names, u.Username)
	}
	if want := []string{"alice", "bob", "jisoo"}; !slices.Equal(names, want) {
		t.Errorf("got users %v, want %v", names, want)
	}

	resp, err := client.Get(env.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || doc.Issuer != env.Issuer {
		t.Fatalf("got discovery issuer %q (%v), want %q", doc.Issuer, err, env.Issuer)
	}

	cases := []struct {
		name       string
		redirect   string
		wantStatus int
		wantBody   string
	}{
		{"the gateway's callback", gateway + "/oidc/callback", http.StatusOK, "alice / alice"},
		{"another callback", "http://127.0.0.1:9999/oidc/callback", http.StatusBadRequest, "not registered"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := url.Values{
				"client_id": {ClientID}, "redirect_uri": {c.redirect}, "response_type": {"code"}, "scope": {"openid"},
				"state": {"s"}, "nonce": {"n"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"},
			}
			status, body := get(t, client, env.Issuer+"/authorize?"+q.Encode())
			if status != c.wantStatus || !strings.Contains(body, c.wantBody) {
				t.Errorf("got %d %.300q, want %d containing %q", status, body, c.wantStatus, c.wantBody)
			}
		})
	}

	if err := env.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if resp, err := client.Get(env.Issuer + "/.well-known/openid-configuration"); err == nil {
		resp.Body.Close()
		t.Errorf("the IdP still answers after Close: %s", resp.Status)
	}
}

func TestUpstreamShowsTheIdentityAndVerifiesTheAssertion(t *testing.T) {
	gateway := httptest.NewUnstartedServer(nil)
	gatewayURL := "http://" + gateway.Listener.Addr().String()
	signer := newSigner(t, gatewayURL, gatewayURL)
	mux := http.NewServeMux()
	mux.Handle("GET /oidc/jwks.json", signer.JWKSHandler())
	gateway.Config.Handler = mux
	gateway.Start()
	defer gateway.Close()

	alice := claims.Identity{Subject: "3f6c1e2a-alice", Username: "alice", Email: "alice@example.com",
		Groups: []string{"wandb-admins", "ml-team"}, Role: claims.RoleAdmin}
	sign := func(s *assertion.Signer) string {
		tok, _, err := s.Sign(alice, "session-1")
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		return tok
	}
	const verified = "✓ The signed identity assertion verified"
	cases := []struct {
		name      string
		assertion string
		want      []string
		wantNot   []string
	}{
		{"signed by the gateway", sign(signer),
			[]string{"Signed in as <strong>alice</strong>", `role <strong id="role">admin</strong>`, verified, "wandb-admins, ml-team"},
			[]string{"did not verify"}},
		{"no assertion", "", []string{"✗ The identity assertion did not verify"}, []string{verified}},
		{"signed by another key", sign(newSigner(t, gatewayURL, gatewayURL)), []string{"did not verify"}, []string{verified}},
		{"for another audience", sign(newSigner(t, gatewayURL, "https://other.example.com")), []string{"did not verify"}, []string{verified}},
		{"tampered", sign(signer) + "x", []string{"did not verify"}, []string{verified}},
	}
	up := httptest.NewServer(newUpstream(gatewayURL))
	defer up.Close()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, up.URL+"/", nil)
			req.Header.Set("X-Auth-Request-User", "alice")
			req.Header.Set("X-Auth-Request-Email", "alice@example.com")
			req.Header.Set("X-Auth-Request-Role", "admin")
			req.Header.Set("Authorization", "Bearer not-for-the-page")
			if c.assertion != "" {
				req.Header.Set("X-Auth-Request-Assertion", c.assertion)
			}
			resp, err := up.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("got Content-Type %q, want text/html", ct)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q:\n%s", w, body)
				}
			}
			for _, w := range append(c.wantNot, "not-for-the-page") {
				if strings.Contains(body, w) {
					t.Errorf("page shows %q, want it absent", w)
				}
			}
		})
	}
}

func newSigner(t *testing.T, issuer, audience string) *assertion.Signer {
	t.Helper()
	key, err := assertion.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatalf("LoadOrCreateKey: %v", err)
	}
	s, err := assertion.NewSigner(assertion.SignerOptions{Key: key, Issuer: issuer, Audience: audience})
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func get(t *testing.T, client *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", u, err)
	}
	return resp.StatusCode, string(b)
}

func TestUpstreamAPIPageChecksTheKey(t *testing.T) {
	up := httptest.NewServer(newUpstream("http://127.0.0.1:1"))
	defer up.Close()
	for _, c := range []struct {
		name, authorization string
		want                int
		wantVia             string
	}{
		{"Basic api:KEY, as the W&B SDK", "Basic " + base64.StdEncoding.EncodeToString([]byte("api:"+APIKey)), http.StatusOK, "api_key_basic"},
		{"Bearer KEY, as SCIM and MCP", "Bearer " + APIKey, http.StatusOK, "api_key_bearer"},
		{"wrong key", "Basic " + base64.StdEncoding.EncodeToString([]byte("api:guess")), http.StatusUnauthorized, ""},
		{"another user name", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+APIKey)), http.StatusUnauthorized, ""},
		{"no key", "", http.StatusUnauthorized, ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, up.URL+"/api/whoami", nil)
		if c.authorization != "" {
			req.Header.Set("Authorization", c.authorization)
		}
		resp, err := up.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.want || (c.want == http.StatusOK && (body["user"] != "alice" || body["authenticated_by"] != c.wantVia)) {
			t.Errorf("%s: got %d %v, want %d (via %q)", c.name, resp.StatusCode, body, c.want, c.wantVia)
		}
	}
}
