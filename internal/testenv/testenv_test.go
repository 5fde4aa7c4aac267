package testenv

import (
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: decode: %v", url, err)
	}
}

func TestProviderDiscovery(t *testing.T) {
	p := StartOIDCProvider(t, ProviderConfig{Clients: []Client{
		PublicClient("spa", "http://127.0.0.1:1/oidc/callback"),
		ConfidentialClient("web", "secret", "http://127.0.0.1:1/oidc/callback"),
		ImplicitClient("implicit", "http://127.0.0.1:1/oidc/callback"),
	}})
	if !strings.HasPrefix(p.Issuer, "http://127.0.0.1:") || p.Port == 0 {
		t.Fatalf("Issuer = %q, Port = %d; want http://127.0.0.1:PORT", p.Issuer, p.Port)
	}
	var doc struct {
		Issuer                   string   `json:"issuer"`
		ClaimsSupported          []string `json:"claims_supported"`
		ScopesSupported          []string `json:"scopes_supported"`
		ResponseTypesSupported   []string `json:"response_types_supported"`
		ResponseModesSupported   []string `json:"response_modes_supported"`
		CodeChallengeMethods     []string `json:"code_challenge_methods_supported"`
		EndSessionEndpoint       string   `json:"end_session_endpoint"`
		BackchannelLogout        bool     `json:"backchannel_logout_supported"`
		BackchannelLogoutSession bool     `json:"backchannel_logout_session_supported"`
	}
	getJSON(t, p.DiscoveryURL(), &doc)

	if doc.Issuer != p.Issuer {
		t.Errorf("issuer = %q, want %q", doc.Issuer, p.Issuer)
	}
	for _, c := range []struct {
		name string
		list []string
		want string
	}{
		{"claims_supported", doc.ClaimsSupported, "groups"},
		{"claims_supported", doc.ClaimsSupported, "email"},
		{"claims_supported", doc.ClaimsSupported, "preferred_username"},
		{"scopes_supported", doc.ScopesSupported, "groups"},
		{"response_types_supported", doc.ResponseTypesSupported, "id_token"},
		{"response_types_supported", doc.ResponseTypesSupported, "code"},
		{"response_modes_supported", doc.ResponseModesSupported, "form_post"},
	} {
		if !slices.Contains(c.list, c.want) {
			t.Errorf("%s = %q, want it to contain %q", c.name, c.list, c.want)
		}
	}
	if !slices.Equal(doc.CodeChallengeMethods, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %q, want [S256]", doc.CodeChallengeMethods)
	}
	if doc.EndSessionEndpoint == "" || !doc.BackchannelLogout || !doc.BackchannelLogoutSession {
		t.Errorf("end_session_endpoint = %q, backchannel_logout_supported = %v, session = %v; want all set",
			doc.EndSessionEndpoint, doc.BackchannelLogout, doc.BackchannelLogoutSession)
	}
	if !strings.Contains(p.Logs(), "READY "+p.Issuer) {
		t.Errorf("Logs() lacks the READY line:\n%s", p.Logs())
	}
}

func TestProviderRestartKeepsIssuer(t *testing.T) {
	first := StartOIDCProvider(t, ProviderConfig{})
	first.Stop(t)
	second := StartOIDCProvider(t, ProviderConfig{Port: first.Port})
	if second.Issuer != first.Issuer {
		t.Errorf("after restart Issuer = %q, want %q", second.Issuer, first.Issuer)
	}
}

func TestGatewayHarness(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "fakegateway")
	if err := goBuild(RepoRoot(t), "./internal/testenv/testdata/fakegateway", bin, ""); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TESTENV_MUST_NOT_LEAK", "1")

	g := StartGateway(t, bin, map[string]string{"OIDC_ISSUER": "http://127.0.0.1:1"})
	g.WaitReady(t, 10*time.Second)
	g.WaitLog(t, "fakegateway listening on "+g.Env["LISTEN_ADDR"], 10*time.Second)
	var env []string
	getJSON(t, g.URL+"/", &env)
	slices.Sort(env)
	var keys []string
	for _, kv := range env {
		keys = append(keys, strings.SplitN(kv, "=", 2)[0])
	}
	want := []string{"DATA_DIR", "HOME", "LISTEN_ADDR", "OIDC_ISSUER", "OPS_ADDR", "PATH"}
	if !slices.Equal(keys, want) {
		t.Errorf("gateway environment has %q, want exactly %q", keys, want)
	}

	g.Stop(t)
	g.WaitLog(t, "fakegateway stopping", time.Second)
	restarted := StartGateway(t, bin, g.Env)
	if restarted.URL != g.URL || restarted.OpsURL != g.OpsURL {
		t.Errorf("restart moved the gateway: %s %s, want %s %s", restarted.URL, restarted.OpsURL, g.URL, g.OpsURL)
	}

	out, code := RunGateway(t, bin, nil, "fail")
	if code != 3 || !strings.Contains(out, "OIDC_ISSUER is required") {
		t.Errorf("RunGateway(fail) = %q, %d; want the configuration error and exit status 3", out, code)
	}
}

// TestFreePortIsBelowTheEphemeralRange: FreePort's ports come from below the range the
// kernel hands out for outgoing connections and port 0, can be bound, and are never
// handed out twice.
func TestFreePortIsBelowTheEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	seen := map[int]bool{}
	for range 20 {
		p := FreePort(t)
		if p < freePortMin || p >= low {
			t.Fatalf("FreePort() = %d, want %d <= port < %d", p, freePortMin, low)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("bind the port FreePort returned: %v", err)
		}
		l.Close()
		seen[p] = true
	}
	if len(seen) != 20 {
		t.Errorf("20 calls of FreePort gave %d different ports, want 20: a port handed out and not yet bound must not be handed out again", len(seen))
	}
}
