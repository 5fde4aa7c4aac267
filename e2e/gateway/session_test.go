package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// identityHeaders returns the upstream request's headers that carry, in any spelling,
// an identity the gateway owns.
func identityHeaders(e echoed) map[string]string {
	out := map[string]string{}
	for k, v := range e.Headers {
		if n := strings.ToLower(strings.ReplaceAll(k, "_", "-")); strings.HasPrefix(n, "x-auth-request-") {
			out[k] = strings.Join(v, ",")
		}
	}
	return out
}

// find returns what the upstream received for path.
func find(t *testing.T, up *echoUpstream, path string) (echoed, bool) {
	t.Helper()
	for _, e := range up.received() {
		if e.Path == path {
			return e, true
		}
	}
	return echoed{}, false
}

func TestSpoofedIdentityHeadersNeverReachUpstream(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.PublicClient("spa", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce", "API_KEY_PASSTHROUGH": "true"})
	ctx := testenv.Chrome(t)
	if _, e := browserSignIn(t, ctx, s, s.gw.URL+"/", "bob"); len(e.Headers["X-Auth-Request-User"]) == 0 {
		t.Fatalf("signed in as bob, but the upstream got no identity: %v", e.Headers)
	}
	var cookies []string
	for name, c := range browserCookies(t, ctx, s.gw.URL+"/") {
		cookies = append(cookies, name+"="+c.Value)
	}
	spoofed := http.Header{ // written to the wire exactly as spelled here
		"X-Auth-Request-User":      {"mallory"},
		"X_Auth_Request_User":      {"mallory"},
		"x-auth-request-groups":    {"admins"},
		"x_auth_request_groups":    {"admins"},
		"X-AUTH-REQUEST-EMAIL":     {"mallory@evil.test"},
		"X-Auth-Request-Role":      {"admin"},
		"X-Auth-Request-Assertion": {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0."},
	}
	for i, tc := range []struct {
		name   string
		cookie bool
		accept string
		basic  bool
		want   int
		user   string // the identity the upstream must see; "" for none
	}{
		{"signed in, navigation", true, testenv.AcceptHTML, false, http.StatusOK, "bob"},
		{"signed in, API", true, "application/json", false, http.StatusOK, "bob"},
		{"API key passthrough", false, "application/json", true, http.StatusOK, ""},
		{"not signed in, API", false, "application/json", false, http.StatusUnauthorized, ""},
		{"not signed in, navigation", false, testenv.AcceptHTML, false, http.StatusFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/spoof/" + strconv.Itoa(i)
			header := spoofed.Clone()
			if tc.cookie {
				header["Cookie"] = []string{strings.Join(cookies, "; ")}
			}
			if tc.basic {
				header["Authorization"] = []string{"Basic YXBpOmxvY2FsLTAxMjM0NTY3ODk="}
			}
			header.Set("Accept", tc.accept)
			resp, body := testenv.Fetch(t, testenv.NewClient(t, false), s.gw.URL+path, nil, header)
			if resp.StatusCode != tc.want {
				t.Fatalf("got %d, want %d; body %q", resp.StatusCode, tc.want, body)
			}
			e, reached := find(t, s.up, path)
			if reached != (tc.want == http.StatusOK) {
				t.Fatalf("reached the upstream: %v, want %v", reached, tc.want == http.StatusOK)
			}
			got := identityHeaders(e)
			for k, v := range got {
				if strings.Contains(v, "mallory") || v == "admins" || v == "admin" || strings.HasPrefix(v, "eyJhbGciOiJub25l") {
					t.Errorf("the upstream received the spoofed %s: %q", k, v)
				}
			}
			switch tc.user {
			case "":
				if len(got) != 0 {
					t.Errorf("the upstream received identity headers without a sign-in: %v", got)
				}
			default:
				want := map[string]string{"X-Auth-Request-User": tc.user, "X-Auth-Request-Email": tc.user + "@example.com",
					"X-Auth-Request-Groups": "ml-team", "X-Auth-Request-Role": "member"}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("upstream %s = %q, want %q", k, got[k], v)
					}
				}
				if e.AssertionError != "" || e.Claims["preferred_username"] != tc.user {
					t.Errorf("assertion: error %q, preferred_username %v; want a verified assertion for %s", e.AssertionError, e.Claims["preferred_username"], tc.user)
				}
			}
		})
	}
}

func TestTamperedCookie(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.PublicClient("spa", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce"})
	c := testenv.NewClient(t, true)
	if resp, body := testenv.ProviderLogin(t, c, s.gw.URL+"/", "alice"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `<p id="user">alice</p>`) {
		t.Fatalf("sign in: got %d, body %q; want the upstream page for alice", resp.StatusCode, body)
	}
	sc, ok := sessionCookie(c, s.gw.URL)
	if !ok || len(sc.Value) < 40 {
		t.Fatalf("no session cookie after sign-in: %v", c.Jar.Cookies(mustURL(t, s.gw.URL)))
	}
	flip := func(v string, i int) string {
		b := []byte(v)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	v := sc.Value
	for i, tc := range []struct {
		name, value string
		signedIn    bool
	}{
		{"intact", v, true},
		{"first byte flipped", flip(v, 0), false},
		{"middle byte flipped", flip(v, len(v)/2), false},
		{"second-to-last byte flipped", flip(v, len(v)-2), false},
		{"truncated", v[:len(v)/2], false},
		{"extended", v + "AAAA", false},
		{"empty", "", false},
		{"not base64", "!!" + v[2:], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header := http.Header{"Cookie": {sc.Name + "=" + tc.value}}
			nav := "/tamper/" + strconv.Itoa(i) + "/page"
			resp, body := testenv.Fetch(t, testenv.NewClient(t, false), s.gw.URL+nav, nil, header)
			switch {
			case resp.StatusCode >= 500:
				t.Fatalf("navigation: got %d, want never 5xx; body %q", resp.StatusCode, body)
			case tc.signedIn && resp.StatusCode != http.StatusOK:
				t.Fatalf("navigation with the intact cookie: got %d, want 200", resp.StatusCode)
			case !tc.signedIn && (resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), s.idp.Issuer+"/auth?")):
				t.Errorf("navigation: got %d Location %q, want 302 to the provider", resp.StatusCode, resp.Header.Get("Location"))
			}
			api := "/tamper/" + strconv.Itoa(i) + "/api"
			header.Set("Accept", "application/json")
			resp, body = testenv.Fetch(t, testenv.NewClient(t, false), s.gw.URL+api, nil, header)
			var got map[string]string
			switch {
			case resp.StatusCode >= 500:
				t.Fatalf("API: got %d, want never 5xx; body %q", resp.StatusCode, body)
			case tc.signedIn && resp.StatusCode != http.StatusOK:
				t.Fatalf("API with the intact cookie: got %d, want 200", resp.StatusCode)
			case !tc.signedIn && (resp.StatusCode != http.StatusUnauthorized || json.Unmarshal([]byte(body), &got) != nil ||
				got["error"] != "unauthenticated" || !strings.Contains(got["login_url"], "/oidc/login?rd=")):
				t.Errorf("API: got %d %q, want 401 JSON {error: unauthenticated, login_url: …/oidc/login?rd=…}", resp.StatusCode, body)
			}
			_, navReached := find(t, s.up, nav)
			_, apiReached := find(t, s.up, api)
			if navReached != tc.signedIn || apiReached != tc.signedIn {
				t.Errorf("reached the upstream: navigation %v, API %v; want %v", navReached, apiReached, tc.signedIn)
			}
		})
	}
}
