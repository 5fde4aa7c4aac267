package wandb

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// viewerQuery is the GraphQL the SDK sends first, to learn who its key belongs to.
const viewerQuery = `{"query":"query Viewer { viewer { id entity username flags } }","variables":{}}`

// sdkHeaders are the headers the W&B SDK's GraphQL client sends with authorization.
func sdkHeaders(authorization string) http.Header {
	return http.Header{
		"Authorization": {authorization}, "Content-Type": {"application/json"}, "Accept": {"*/*"},
		"User-Agent": {"W&B Internal Client 0.19.0"}, "X-Wandb-Username": {"alice"}, "X-Wandb-User-Email": {"alice@example.com"},
	}
}

// viewer returns the user name of a GraphQL viewer answer.
func viewer(t *testing.T, body []byte) string {
	t.Helper()
	var got struct {
		Data struct {
			Viewer struct{ Username string } `json:"viewer"`
		} `json:"data"`
	}
	decode(t, body, &got)
	return got.Data.Viewer.Username
}

// TestWandbClients runs each W&B client, one after another, through one gateway with
// the W&B configuration in front of one fake W&B.
func TestWandbClients(t *testing.T) {
	s := startStack(t, nil)
	t.Run("SDK and CLI with an API key", func(t *testing.T) { testSDKWithAPIKey(t, s) })
	t.Run("SDK identity federation", func(t *testing.T) { testSDKIdentityFederation(t, s) })
	t.Run("SCIM provisioning from Okta or Entra", func(t *testing.T) { testSCIMProvisioning(t, s) })
	t.Run("MCP client with a 30-second stream", func(t *testing.T) { testMCPStreamsThroughTheGateway(t, s) })
}

// testSDKWithAPIKey: the SDK and CLI (wandb login, wandb.init) POST GraphQL with
// Basic api:KEY. The gateway passes it through untouched, without identity; the
// application checks the key. A wrong key is the application's 401, not the gateway's.
func testSDKWithAPIKey(t *testing.T, s *stack) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("api:"+apiKey))
	resp, body := s.do(t, http.MethodPost, "/graphql", sdkHeaders(basic), viewerQuery)
	if resp.StatusCode != http.StatusOK || viewer(t, body) != "alice" {
		t.Fatalf("POST /graphql with the API key: got %d %s, want 200 with viewer alice", resp.StatusCode, body)
	}
	r := s.checkNoIdentity(t, "/graphql")
	if r.Header.Get("Authorization") != basic || r.Credential != "basic" || r.Header.Get("X-Wandb-Username") != "alice" {
		t.Errorf("the application got Authorization %q (%s), X-Wandb-Username %q; want the SDK's own, untouched",
			r.Header.Get("Authorization"), r.Credential, r.Header.Get("X-Wandb-Username"))
	}
	audit := s.passthroughAudits(t, "basic", 1)[0]
	if audit["audit"] != true || audit["path"] != "/graphql" || strings.Contains(s.gw.Logs(), apiKey) {
		t.Errorf("audit line %v: want audit true for /graphql, and the key nowhere in the log", audit)
	}

	wrong := "Basic " + base64.StdEncoding.EncodeToString([]byte("api:local-not-a-key"))
	resp, body = s.do(t, http.MethodPost, "/graphql", sdkHeaders(wrong), viewerQuery)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "unknown API key") {
		t.Errorf("POST /graphql with a wrong key: got %d %s, want the application's own 401", resp.StatusCode, body)
	}
}

// testSDKIdentityFederation: with WANDB_IDENTITY_TOKEN_FILE the SDK POSTs the JWT to
// $BASE/oidc/token (form-encoded jwt-bearer grant, no Authorization, no cookies);
// PUBLIC_PATHS lets it reach the application, which answers with its own access
// token; the SDK then calls GraphQL with that token as a Bearer credential, which
// the gateway cannot verify (not its IdP's) and passes through.
func testSDKIdentityFederation(t *testing.T, s *stack) {
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {s.federationJWT(t, "alice")}}
	resp, body := s.do(t, http.MethodPost, "/oidc/token",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {"python-requests/2.32.3"}}, form.Encode())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /oidc/token: got %d %s, want 200 from the application", resp.StatusCode, body)
	}
	var tok struct {
		AccessToken string  `json:"access_token"`
		ExpiresIn   float64 `json:"expires_in"`
	}
	decode(t, body, &tok)
	if strings.Count(tok.AccessToken, ".") != 2 || tok.ExpiresIn <= 0 {
		t.Fatalf("POST /oidc/token: got %s, want a JWT access_token and expires_in", body)
	}
	s.checkNoIdentity(t, "/oidc/token")

	resp, body = s.do(t, http.MethodPost, "/graphql", sdkHeaders("Bearer "+tok.AccessToken), viewerQuery)
	if resp.StatusCode != http.StatusOK || viewer(t, body) != "alice" {
		t.Fatalf("POST /graphql with the federated access token: got %d %s, want 200 with viewer alice", resp.StatusCode, body)
	}
	if r := s.checkNoIdentity(t, "/graphql"); r.Credential != "access_token" {
		t.Errorf("the application read the credential as %q, want its own access token", r.Credential)
	}
	audit := s.passthroughAudits(t, "bearer_jwt", 1)[0]
	if audit["not_verified"] == "" || strings.Contains(s.gw.Logs(), tok.AccessToken) {
		t.Errorf("audit line %v: want why the gateway did not verify it, and the token nowhere in the log", audit)
	}

	// A forged assertion is the application's to refuse; the gateway only opened the path.
	form.Set("assertion", s.federationJWT(t, "alice")+"x")
	if resp, body := s.do(t, http.MethodPost, "/oidc/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode()); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "invalid_grant") {
		t.Errorf("POST /oidc/token with a forged assertion: got %d %s, want the application's 400 invalid_grant", resp.StatusCode, body)
	}
}

// testSCIMProvisioning: Okta and Entra provision users with the SCIM API key as a
// Bearer token: look the user up by userName, then create it.
func testSCIMProvisioning(t *testing.T, s *stack) {
	h := http.Header{"Authorization": {"Bearer " + apiKey}, "Accept": {"application/scim+json"},
		"Content-Type": {"application/scim+json; charset=utf-8"}, "User-Agent": {"Okta SCIM Client 1.0.0"}}
	lookup := "/scim/Users?filter=" + url.QueryEscape(`userName eq "bob@example.com"`) + "&startIndex=1&count=100"
	resp, body := s.do(t, http.MethodGet, lookup, h, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"totalResults":0`) {
		t.Fatalf("GET %s: got %d %s, want 200 with no users", lookup, resp.StatusCode, body)
	}
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@example.com",` +
		`"name":{"givenName":"Bob","familyName":"Member"},"emails":[{"primary":true,"value":"bob@example.com","type":"work"}],"active":true}`
	resp, body = s.do(t, http.MethodPost, "/scim/Users", h, user)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"userName":"bob@example.com"`) {
		t.Fatalf("POST /scim/Users: got %d %s, want 201 with the user", resp.StatusCode, body)
	}
	resp, body = s.do(t, http.MethodGet, lookup, h, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"totalResults":1`) {
		t.Errorf("GET %s after provisioning: got %d %s, want the new user", lookup, resp.StatusCode, body)
	}
	if r := s.checkNoIdentity(t, "/scim/Users"); r.Header.Get("Authorization") != "Bearer "+apiKey || r.Credential != "api_key" {
		t.Errorf("the application got Authorization %q (%s), want the Bearer API key untouched", r.Header.Get("Authorization"), r.Credential)
	}
	s.passthroughAudits(t, "bearer", 3)
}

// TestWithoutPassthroughMachineClientsGet401: the same clients against a gateway
// without API_KEY_PASSTHROUGH and PUBLIC_PATHS are refused by the gateway, and the
// application sees none of them.
func TestWithoutPassthroughMachineClientsGet401(t *testing.T) {
	s := startStack(t, map[string]string{"API_KEY_PASSTHROUGH": "false", "PUBLIC_PATHS": ""})
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("api:"+apiKey))
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {s.federationJWT(t, "alice")}}
	for _, tc := range []struct {
		method, path string
		header       http.Header
		body         string
	}{
		{http.MethodPost, "/graphql", sdkHeaders(basic), viewerQuery},
		{http.MethodGet, "/scim/Users", http.Header{"Authorization": {"Bearer " + apiKey}}, ""},
		{http.MethodPost, "/mcp", http.Header{"Authorization": {"Bearer " + apiKey}, "Accept": {"application/json, text/event-stream"}}, `{}`},
		{http.MethodPost, "/oidc/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode()},
	} {
		if resp, body := s.do(t, tc.method, tc.path, tc.header, tc.body); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s: got %d %s, want the gateway's 401", tc.method, tc.path, resp.StatusCode, body)
		}
	}
	if n := len(s.app.Requests()); n != 0 {
		t.Errorf("the application received %d requests, want none", n)
	}
}
