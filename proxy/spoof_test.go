package proxy

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// spoofedHeaders are a client's attempts to pose as the gateway, spelled as they go on
// the wire: Go's server folds the first two together but keeps the "_" form apart.
var spoofedHeaders = map[string]string{
	"X-Auth-Request-User":      "mallory",
	"x-auth-request-user":      "mallory-lower",
	"X_Auth_Request_User":      "mallory-underscore",
	"X-AUTH-REQUEST-ROLE":      "admin",
	"X-Auth-Request-Assertion": "forged.assertion.value",
	"X_AUTH_REQUEST_GROUPS":    "wandb-admins",
	"x-auth-request-email":     "mallory@example.com",
}

// identityHeadersSeen returns the upstream's headers that look like the gateway's
// identity headers in any spelling, keyed by their received name.
func identityHeadersSeen(h http.Header) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		if strings.HasPrefix(strings.ToLower(strings.ReplaceAll(k, "_", "-")), "x-auth-request-") {
			out[k] = v
		}
	}
	return out
}

func TestSpoofedIdentityHeaderIsStripped(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	alice := f.browser()
	alice.signIn("/")

	// Control: sent straight to the upstream, every spelling arrives, so the checks
	// below would see one the gateway let through.
	t.Run("control: direct to upstream", func(t *testing.T) {
		req := alice.request(http.MethodGet, f.up.URL+"/api/runs", "", nil)
		for k, v := range spoofedHeaders {
			req.Header[k] = []string{v}
		}
		_, body := alice.do(req)
		var got []string
		for _, v := range identityHeadersSeen(decodeEcho(t, body).Header) {
			got = append(got, v...)
		}
		for name, v := range spoofedHeaders {
			if !slices.Contains(got, v) {
				t.Errorf("upstream did not receive %s: %s directly (got %q); the checks below would prove nothing", name, v, got)
			}
		}
	})

	t.Run("signed in: ours replace them", func(t *testing.T) {
		req := alice.request(http.MethodGet, "/api/runs", "application/json", nil)
		for k, v := range spoofedHeaders {
			req.Header[k] = []string{v}
		}
		resp, body := alice.do(req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got status %d, want 200; body %q", resp.StatusCode, body)
		}
		got := identityHeadersSeen(decodeEcho(t, body).Header)
		want := map[string][]string{
			HeaderUser:      {"alice"},
			HeaderEmail:     {"alice@example.com"},
			HeaderGroups:    {"wandb-admins,ml-team"},
			HeaderRole:      {"admin"},
			HeaderAssertion: {"test-assertion.alice"},
		}
		if !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("upstream identity headers: got %v, want %v", got, want)
		}
		// The attempt is a warning naming the headers (Go folds the two hyphenated
		// spellings of the user header into one), never their values.
		warned := f.logs.records(t, spoofedMessage)
		if len(warned) != 1 || warned[0]["request_id"] == "" || warned[0]["count"] != float64(len(spoofedHeaders)-1) {
			t.Fatalf("%q lines: %v, want one with the request ID and %d headers", spoofedMessage, warned, len(spoofedHeaders)-1)
		}
		if names := fmt.Sprint(warned[0]["headers"]); !strings.Contains(strings.ToLower(names), "x_auth_request_user") || strings.Contains(fmt.Sprint(warned[0]), "mallory") {
			t.Errorf("warning %v: want the header names, without their values", warned[0])
		}
		// A request without them is no cause for one.
		if resp, _ := alice.do(alice.request(http.MethodGet, "/api/runs", "application/json", nil)); resp.StatusCode != http.StatusOK {
			t.Fatalf("plain request: got %d, want 200", resp.StatusCode)
		}
		if got := len(f.logs.records(t, spoofedMessage)); got != 1 {
			t.Errorf("%q lines after a request without identity headers: %d, want still 1", spoofedMessage, got)
		}
	})

	// Without a session (and without API-key passthrough) nothing reaches the upstream,
	// whatever the client claims, including Basic credentials.
	for _, tc := range []struct {
		name, method, accept, authorization string
		wantStatus                          int
	}{
		{"API GET", http.MethodGet, "application/json", "", http.StatusUnauthorized},
		{"API key", http.MethodGet, "", "Basic YXBpOnNlY3JldA==", http.StatusUnauthorized},
		{"POST", http.MethodPost, acceptHTML, "", http.StatusUnauthorized},
		{"navigation", http.MethodGet, acceptHTML, "", http.StatusFound},
	} {
		t.Run("no session: "+tc.name, func(t *testing.T) {
			before := f.hits.Load()
			req := f.browser().request(tc.method, "/api/runs", tc.accept, nil)
			for k, v := range spoofedHeaders {
				req.Header[k] = []string{v}
			}
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			resp, body := f.browser().do(req)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("got status %d, want %d; body %q", resp.StatusCode, tc.wantStatus, body)
			}
			if got := f.hits.Load() - before; got != 0 {
				t.Errorf("upstream requests: got %d, want 0", got)
			}
		})
	}
}

func TestIsSpoofable(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"X-Auth-Request-User", true},
		{"x-auth-request-user", true},
		{"X_Auth_Request_User", true},
		{"X-AUTH-REQUEST-ROLE", true},
		{"X_auth-Request_Assertion", true},
		{"X-Auth-Request-", true},
		{"X-Auth-Request", false},
		{"X-Auth-Requester", false},
		{"X-Forwarded-User", false},
		{"Authorization", false},
		{"", false},
	} {
		if got := isSpoofable(tc.name); got != tc.want {
			t.Errorf("isSpoofable(%q): got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// With API_KEY_PASSTHROUGH a Basic request reaches the upstream for it to check the
// key, but carries no identity at all: not the client's, not a session's.
func TestAPIKeyPassthroughStripsIdentity(t *testing.T) {
	f := newFixture(t, fixtureOptions{apiKeyPassthrough: true})
	b := f.browser()
	b.signIn("/") // a session in the jar must not lend the API request an identity
	req := b.request(http.MethodGet, "/api/runs", "application/json", nil)
	req.SetBasicAuth("api", "local-key")
	for k, v := range spoofedHeaders {
		req.Header[k] = []string{v}
	}
	resp, body := b.do(req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200; body %q", resp.StatusCode, body)
	}
	e := decodeEcho(t, body)
	if got := identityHeadersSeen(e.Header); len(got) != 0 {
		t.Errorf("upstream identity headers: got %v, want none", got)
	}
	if got, want := e.Header.Get("Authorization"), req.Header.Get("Authorization"); got != want {
		t.Errorf("upstream Authorization: got %q, want %q", got, want)
	}
	if got := len(f.logs.records(t, "API key passed through")); got != 1 {
		t.Errorf("audit lines %q: got %d, want 1", "API key passed through", got)
	}
}
