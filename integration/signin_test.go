package integration

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// checkSignedIn asserts that the upstream received user's identity and an assertion
// that verified against the gateway's JWKS.
func checkSignedIn(t *testing.T, e echoed, user, name string, groups []string) {
	t.Helper()
	h := func(k string) string { return strings.Join(e.Headers[k], ",") }
	if got := h("X-Auth-Request-User"); got != user {
		t.Errorf("upstream got X-Auth-Request-User %q, want %q", got, user)
	}
	if got, want := h("X-Auth-Request-Email"), user+"@example.com"; got != want {
		t.Errorf("upstream got X-Auth-Request-Email %q, want %q", got, want)
	}
	if got, want := h("X-Auth-Request-Groups"), strings.Join(groups, ","); got != want {
		t.Errorf("upstream got X-Auth-Request-Groups %q, want %q", got, want)
	}
	if e.AssertionError != "" {
		t.Fatalf("the upstream could not verify X-Auth-Request-Assertion: %s", e.AssertionError)
	}
	if e.AssertionAlg != "ES256" {
		t.Errorf("assertion alg = %q, want ES256", e.AssertionAlg)
	}
	if got := e.Claims["preferred_username"]; got != user {
		t.Errorf("assertion preferred_username = %v, want %q", got, user)
	}
	if got := e.Claims["name"]; got != name {
		t.Errorf("assertion name = %v, want %q", got, name)
	}
	var got []string
	list, _ := e.Claims["groups"].([]any)
	for _, g := range list {
		s, _ := g.(string)
		got = append(got, s)
	}
	if !slices.Equal(got, groups) {
		t.Errorf("assertion groups = %q, want %q", got, groups)
	}
}

// checkAuditSuccess asserts one audit line for user's sign-in with method, and an
// access line with a request ID for the upstream page at path.
func checkAuditSuccess(t *testing.T, s *stack, user, method, path string) {
	t.Helper()
	rec := waitRecord(t, s.gw, "sign-in succeeded", func(r map[string]any) bool { return str(r, "user") == user })
	if rec["audit"] != true || str(rec, "method") != method || str(rec, "request_id") == "" || str(rec, "issuer") != s.idp.Issuer {
		t.Errorf("sign-in audit line = %v; want audit true, method %q, a request_id and issuer %q", rec, method, s.idp.Issuer)
	}
	waitRecord(t, s.gw, "request", func(r map[string]any) bool {
		return str(r, "path") == path && r["status"] == float64(200) && len(str(r, "request_id")) >= 8
	})
}

func TestBrowserSignInPKCEPublicClient(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.PublicClient("spa", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce"})
	ctx := testenv.Chrome(t)

	at, e := browserSignIn(t, ctx, s, s.gw.URL+"/some/path?x=1", "alice")
	if want := s.gw.Env["PUBLIC_URL"] + "/some/path?x=1"; at != want {
		t.Errorf("the browser landed on %s, want %s", at, want)
	}
	if e.Path != "/some/path?x=1" {
		t.Errorf("upstream got path %q, want /some/path?x=1", e.Path)
	}
	checkSignedIn(t, e, "alice", "Alice Admin", []string{"wandb-admins", "ml-team"})
	checkAuditSuccess(t, s, "alice", "pkce", "/some/path")
	s.idp.WaitLog(t, "EVENT grant.success client=spa", 5*time.Second)
}

func TestBrowserSignInPKCEConfidentialClient(t *testing.T) {
	t.Parallel()
	const secret = "conf-Secret-7f3a9c2e51d8b604"
	s := startStack(t, func(redirect string) testenv.Client { return testenv.ConfidentialClient("web", secret, redirect) },
		map[string]string{"OIDC_CLIENT_ID": "web", "OIDC_CLIENT_SECRET": secret, "OIDC_AUTH_METHOD": "pkce"})
	ctx := testenv.Chrome(t)

	at, e := browserSignIn(t, ctx, s, s.gw.URL+"/runs?project=p1", "bob")
	if want := s.gw.Env["PUBLIC_URL"] + "/runs?project=p1"; at != want {
		t.Errorf("the browser landed on %s, want %s", at, want)
	}
	checkSignedIn(t, e, "bob", "Bob Builder", []string{"ml-team"})
	checkAuditSuccess(t, s, "bob", "pkce", "/runs")
	// The token request authenticated with the secret: the provider granted it.
	s.idp.WaitLog(t, "EVENT grant.success client=web", 5*time.Second)
	if logs := s.gw.Logs(); strings.Contains(logs, secret) {
		t.Errorf("the client secret appears in the gateway's log:\n%s", logs)
	}
}

func TestBrowserSignInImplicitFormPost(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.ImplicitClient("legacy", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "legacy"}) // OIDC_AUTH_METHOD defaults to implicit
	ctx := testenv.Chrome(t)

	at, e := browserSignIn(t, ctx, s, s.gw.URL+"/projects/한국어", "jisoo")
	if want := s.gw.Env["PUBLIC_URL"] + "/projects/%ED%95%9C%EA%B5%AD%EC%96%B4"; at != want {
		t.Errorf("the browser landed on %s, want %s", at, want)
	}
	checkSignedIn(t, e, "jisoo", "김지수", []string{"ml-team"})
	checkAuditSuccess(t, s, "jisoo", "implicit", "/projects/한국어")
	if !strings.Contains(s.idp.Logs(), "HTTP GET /auth") {
		t.Errorf("the provider saw no authorization request:\n%s", s.idp.Logs())
	}
}
