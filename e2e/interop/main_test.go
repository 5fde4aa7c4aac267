// Package interop runs the gateway binary against real OpenID providers other than the
// default test provider, one named test per provider and capability (docs/interop.md).
// The providers' binaries are built and cached by .ci/idps.sh.
package interop

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/assertion"
	"github.com/ssogate/ssogate/internal/testenv"
)

// builder builds the gateway binary once for the whole test binary; clockBuilder
// builds it with -tags testclock, for the hostile tests that move its token clock.
var (
	builder      testenv.Builder
	clockBuilder = testenv.Builder{Tags: "testclock"}
)

func TestMain(m *testing.M) {
	code := builder.Run(m)
	clockBuilder.Close()
	os.Exit(code)
}

// echoed is what the upstream received from the gateway: the identity headers and
// the identity assertion, verified against the gateway's JWKS.
type echoed struct {
	User           string            `json:"user"`
	Email          string            `json:"email"`
	Groups         string            `json:"groups"`
	Assertion      *assertion.Claims `json:"assertion"`
	AssertionError string            `json:"assertion_error"`
}

// newEchoUpstream answers every request with the identity headers the gateway at
// publicURL sent, and the claims of its assertion once verified as an application
// would (signature with the gateway's published key, iss, aud, exp).
func newEchoUpstream(t *testing.T, publicURL string) *httptest.Server {
	t.Helper()
	verifier := assertion.NewVerifier(publicURL+"/oidc/jwks.json", &http.Client{Timeout: 5 * time.Second}, publicURL, publicURL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := echoed{User: r.Header.Get("X-Auth-Request-User"), Email: r.Header.Get("X-Auth-Request-Email"),
			Groups: r.Header.Get("X-Auth-Request-Groups"), AssertionError: "no assertion"}
		if raw := r.Header.Get("X-Auth-Request-Assertion"); raw != "" {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			defer cancel()
			e.AssertionError = ""
			if c, err := verifier.Verify(ctx, raw); err != nil {
				e.AssertionError = err.Error()
			} else {
				e.Assertion = c
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// wantIdentity fails t unless the upstream received user, email and groups (as the
// X-Auth-Request-Groups header writes them) in the headers and in a verified assertion.
func wantIdentity(t *testing.T, e echoed, user, email, groups string) {
	t.Helper()
	if e.User != user || e.Email != email || e.Groups != groups {
		t.Errorf("upstream headers: user %q, email %q, groups %q; want %q, %q, %q", e.User, e.Email, e.Groups, user, email, groups)
	}
	if e.Assertion == nil {
		t.Fatalf("the upstream could not verify X-Auth-Request-Assertion: %s", e.AssertionError)
	}
	a := e.Assertion
	if a.Username != user || a.Email != email || strings.Join(a.Groups, ",") != groups || a.Subject == "" {
		t.Errorf("assertion: sub %q, preferred_username %q, email %q, groups %q; want a sub and %q, %q, %q",
			a.Subject, a.Username, a.Email, a.Groups, user, email, groups)
	}
}

// startGateway starts the gateway on addr in front of a new echo upstream, signing in
// at issuer with env's OIDC settings.
func startGateway(t *testing.T, addr, issuer string, env map[string]string) *testenv.Gateway {
	t.Helper()
	return startGatewayBin(t, builder.Build(t), addr, issuer, env)
}

// startGatewayBin is startGateway with the gateway binary bin.
func startGatewayBin(t *testing.T, bin, addr, issuer string, env map[string]string) *testenv.Gateway {
	t.Helper()
	up := newEchoUpstream(t, "http://"+addr)
	full := map[string]string{
		"LISTEN_ADDR": addr, "PUBLIC_URL": "http://" + addr, "UPSTREAM_URL": up.URL, "OIDC_ISSUER": issuer,
	}
	for k, v := range env {
		full[k] = v
	}
	gw := testenv.StartGateway(t, bin, full)
	gw.WaitReady(t, 60*time.Second)
	return gw
}

// formSignIn opens gw's /app with a browser-like client, submits the provider's login
// form (the first form on the page it lands on) with fields, and returns what the
// upstream received once the gateway signed the user in.
func formSignIn(t *testing.T, gw *testenv.Gateway, fields url.Values) echoed {
	t.Helper()
	return formSignInWith(t, testenv.NewClient(t, true), gw, fields)
}

// formSignInWith is formSignIn with the client c (and its cookies). A form_post page
// (a form the provider's page posts to the gateway's callback by script) is submitted
// as the browser's script would.
func formSignInWith(t *testing.T, c *http.Client, gw *testenv.Gateway, fields url.Values) echoed {
	t.Helper()
	resp, body := submitForm(t, c, gw.URL+"/app", fields)
	if action, hidden, ok := testenv.FindForm(body); ok && strings.HasPrefix(action, gw.URL+"/oidc/callback") {
		resp, body = testenv.Fetch(t, c, action, hidden, nil)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), gw.URL+"/app") {
		t.Fatalf("after the provider's login form: %d at %s, want the upstream's /app\n%s\n--- gateway log ---\n%s",
			resp.StatusCode, resp.Request.URL, body, gw.Logs())
	}
	var e echoed
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("upstream answer %q: %v", body, err)
	}
	return e
}

// submitForm opens startURL with c, fills the first form on the page it lands on (the
// provider's login form) with fields on top of its hidden fields, submits it and
// returns where c ends.
func submitForm(t *testing.T, c *http.Client, startURL string, fields url.Values) (*http.Response, string) {
	t.Helper()
	resp, page := testenv.Fetch(t, c, startURL, nil, nil)
	action, hidden := testenv.ParseForm(t, page)
	for k, v := range fields {
		hidden[k] = v
	}
	target, err := resp.Request.URL.Parse(action)
	if err != nil {
		t.Fatalf("login form action %q: %v", action, err)
	}
	return testenv.Fetch(t, c, target.String(), hidden, nil)
}

// discoveryDoc is the part of a provider's discovery document the matrix depends on.
type discoveryDoc struct {
	EndSession          string   `json:"end_session_endpoint"`
	ResponseModes       []string `json:"response_modes_supported"`
	ResponseTypes       []string `json:"response_types_supported"`
	Backchannel         bool     `json:"backchannel_logout_supported"`
	BackchannelSession  bool     `json:"backchannel_logout_session_supported"`
	Frontchannel        bool     `json:"frontchannel_logout_supported"`
	FrontchannelSession bool     `json:"frontchannel_logout_session_supported"`
}

// getDiscovery reads the discovery document at u.
func getDiscovery(t *testing.T, u string) discoveryDoc {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d discoveryDoc
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatalf("discovery document at %s: %v", u, err)
	}
	return d
}

// bothStores runs test as two subtests, with the cookie store (no settings) and with
// the Redis store (SESSION_STORE of a new Redis): env holds the store's settings.
func bothStores(t *testing.T, test func(t *testing.T, env map[string]string)) {
	t.Helper()
	rds := testenv.StartRedis(t)
	t.Run("cookie store", func(t *testing.T) { test(t, map[string]string{}) })
	t.Run("redis store", func(t *testing.T) { test(t, map[string]string{"SESSION_STORE": rds.URL()}) })
}

// startRPLogout signs the browser c out of gw with GET /logout and checks that the
// gateway sends it on to the provider's end-session endpoint (a URL starting with
// endSession) with an id_token_hint and the gateway's post_logout_redirect_uri. It
// returns that URL, not yet followed, and the hint's claims.
func startRPLogout(t *testing.T, gw *testenv.Gateway, c *http.Client, endSession string) (*url.URL, map[string]any) {
	t.Helper()
	resp, body := testenv.Fetch(t, noRedirects(c), gw.URL+"/logout", nil, nil)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), endSession) {
		t.Fatalf("GET /logout: %d to %q, want 302 to %s…\n%s", resp.StatusCode, resp.Header.Get("Location"), endSession, body)
	}
	q := loc.Query()
	hint := q.Get("id_token_hint")
	if hint == "" || q.Get("post_logout_redirect_uri") != gw.URL+"/" {
		t.Fatalf("end-session query %v: want an id_token_hint and post_logout_redirect_uri %s/", q, gw.URL)
	}
	return loc, testenv.JWTClaims(t, hint)
}

// noRedirects returns a client with c's cookie jar that follows no redirect.
func noRedirects(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
