package ingress

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// TestMachineClientsDirect runs the machine-client checks against ssogate alone, with
// UPSTREAM_URL and without API_KEY_PASSTHROUGH. Behind nginx and Caddy they run with
// API_KEY_PASSTHROUGH=true (testIngress).
func TestMachineClientsDirect(t *testing.T) {
	s := startStack(t, stackOptions{ingress: direct})
	testMachineClients(t, s, false)
	t.Run("methods other than GET", func(t *testing.T) { testOtherMethods(t, s, false) })
}

// testMachineClients sends API keys and bearer tokens, each with forged identity
// headers, and checks what the application receives.
func testMachineClients(t *testing.T, s *stack, passthrough bool) {
	now := time.Now()
	alice := map[string]any{
		"iss": s.idp.Issuer, "aud": clientID, "sub": "alice", "preferred_username": "alice",
		"email": "alice@example.com", "email_verified": true, "name": "Alice Admin",
		"groups": []string{"wandb-admins", "ml-team"},
		"iat":    now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
	with := func(changes map[string]any) map[string]any {
		c := maps.Clone(alice)
		maps.Copy(c, changes)
		return c
	}
	logout := map[string]any{"iss": s.idp.Issuer, "aud": clientID, "sub": "alice", "sid": "s1", "jti": "j1",
		"iat": now.Unix(), "events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}}

	// A credential the gateway does not verify itself goes to the application, without
	// identity, with API_KEY_PASSTHROUGH; without it, it is refused.
	unverified := map[bool]int{true: 200, false: 401}[passthrough]
	for _, tc := range []struct {
		name          string
		authorization string
		want          int  // status
		identity      bool // the application gets alice's identity
	}{
		{"API key", "Basic YXBpOndhbmRiLWFwaS1rZXktMTIzNDU=", unverified, false}, // api:wandb-api-key-12345
		{"bearer JWT for this client", "Bearer " + s.mint(t, "JWT", alice), 200, true},
		{"bearer at+jwt for this client", "Bearer " + s.mint(t, "at+jwt", alice), 200, true},
		{"bearer JWT for a user outside ALLOWED_GROUPS", "Bearer " + s.mint(t, "JWT", with(map[string]any{
			"sub": "bob", "preferred_username": "bob", "email": "bob@example.com", "groups": []string{"ml-team"}})), 403, false},
		{"bearer JWT signed with another key", "Bearer " + mint(t, newSigningKey(t), "JWT", alice), unverified, false},
		{"bearer JWT for another audience", "Bearer " + s.mint(t, "JWT", with(map[string]any{"aud": "another-client"})), unverified, false},
		{"expired bearer JWT", "Bearer " + s.mint(t, "JWT", with(map[string]any{"exp": now.Add(-time.Hour).Unix()})), unverified, false},
		{"bearer JWT from another issuer", "Bearer " + s.mint(t, "JWT", with(map[string]any{"iss": "https://idp.example"})), unverified, false},
		{"logout token as bearer", "Bearer " + s.mint(t, "logout+jwt", logout), unverified, false},
		{"garbage bearer", "Bearer not-a-token", unverified, false},
		{"garbage JWT-shaped bearer", "Bearer e30.e30.c2ln", unverified, false},
		{"unknown scheme", "Digest username=alice", unverified, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, "")
			h := forged()
			h["Authorization"] = tc.authorization
			h["Accept"] = "application/json"
			before := s.app.count()
			uri := "/api/" + strings.ReplaceAll(tc.name, " ", "-")
			resp, body := c.get(s.url+uri, h)
			if resp.StatusCode != tc.want {
				t.Fatalf("got %d, want %d; body %q", resp.StatusCode, tc.want, body)
			}
			if tc.want != http.StatusOK {
				var refusal map[string]string
				if err := json.Unmarshal(body, &refusal); err != nil || refusal["error"] == "" {
					t.Errorf("%d body %q, want JSON with an error", resp.StatusCode, body)
				}
				if a := resp.Header.Get("WWW-Authenticate"); tc.want == http.StatusUnauthorized && a != `Bearer error="invalid_token"` {
					t.Errorf("401 WWW-Authenticate %q, want Bearer error=\"invalid_token\"", a)
				}
				for name, v := range resp.Header {
					if strings.HasPrefix(normalName(name), "x-auth-request-") {
						t.Errorf("%d response carries %s %q, want no identity headers", resp.StatusCode, name, v)
					}
				}
				if n := s.app.count(); n != before {
					t.Errorf("the application received %d requests, want none", n-before)
				}
				return
			}
			got := s.app.last(t, uri)
			if tc.identity {
				checkAlice(t, s, got)
				return
			}
			// A credential passed through: the application gets it, and no identity at all, to check it itself.
			if a := got.Header.Get("Authorization"); a != tc.authorization {
				t.Errorf("application got Authorization %q, want %q", a, tc.authorization)
			}
			if l := got.leaked(); len(l) != 0 {
				t.Errorf("application got identity headers %q with an API key, want none", l)
			}
			s.gw.WaitLog(t, `"event":"api_key_passthrough"`, 5*time.Second)
		})
	}
}

// testOtherMethods checks that requests other than GET get the same answers: nginx hands
// a refused request to ssogate as it came, method and all. With passthrough a bearer
// token the gateway cannot verify reaches the application without identity.
func testOtherMethods(t *testing.T, s *stack, passthrough bool) {
	now := time.Now()
	good := "Bearer " + s.mint(t, "JWT", map[string]any{
		"iss": s.idp.Issuer, "aud": clientID, "sub": "alice", "preferred_username": "alice",
		"email": "alice@example.com", "email_verified": true, "groups": []string{"wandb-admins", "ml-team"},
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	c := newClient(t, "")
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		for _, tc := range []struct {
			name, authorization string
			want                []int
		}{
			{"valid bearer", good, []int{http.StatusOK}},
			{"garbage bearer", "Bearer e30.e30.c2ln", []int{map[bool]int{true: http.StatusOK, false: http.StatusUnauthorized}[passthrough]}},
			{"no credentials", "", []int{http.StatusUnauthorized, http.StatusFound}},
		} {
			uri := "/api/runs/" + strings.ToLower(method) + "/" + strings.ReplaceAll(tc.name, " ", "-")
			req, err := http.NewRequest(method, s.url+uri, strings.NewReader(`{"loss":0.25}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			before := s.app.count()
			resp, body := c.do(req)
			if !slices.Contains(tc.want, resp.StatusCode) {
				t.Errorf("%s %s: got %d, want %v; body %q", method, tc.name, resp.StatusCode, tc.want, body)
				continue
			}
			if resp.StatusCode != http.StatusOK {
				if n := s.app.count(); n != before {
					t.Errorf("%s %s: the application received %d requests, want none", method, tc.name, n-before)
				}
				continue
			}
			wantUser := "alice"
			if tc.authorization != good {
				wantUser = "" // passed through: the application checks the token itself
			}
			if got := s.app.last(t, uri); got.Method != method || got.Body != `{"loss":0.25}` || got.Header.Get("X-Auth-Request-User") != wantUser {
				t.Errorf("%s %s: application got %s body %q user %q, want %s, the body and user %q", method, tc.name, got.Method, got.Body, got.Header.Get("X-Auth-Request-User"), method, wantUser)
			}
		}
	}
}

// mint signs claims with the provider's own key, as the provider would sign an access or
// ID token, with the given typ header.
func (s *stack) mint(t *testing.T, typ string, claims map[string]any) string {
	t.Helper()
	return mint(t, s.key, typ, claims)
}

// mint signs claims with key (RS256, its kid) and the given typ header.
func mint(t *testing.T, key jwk.Key, typ string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	hdr := jws.NewHeaders()
	for k, v := range map[string]any{jws.TypeKey: typ, jws.KeyIDKey: key.KeyID()} {
		if err := hdr.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(jwa.RS256, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}
