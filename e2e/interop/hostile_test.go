package interop

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// The hostile cases against real providers (docs/interop.md, "Hostile cases against
// real providers"): a provider's real answer, obtained by a sign-in the test steers
// (another client's ID, another provider, a moved clock) or delivered twice, reaches
// the gateway's callback as a browser would bring it, and the gateway must refuse it
// with a 4xx and an audit line naming the reason, sign no one in, and still sign the
// user in normally afterwards.

// account is a provider's test user: what its login form takes and the identity the
// upstream must receive.
type account struct {
	login               url.Values
	user, email, groups string
}

var (
	zitadelAccount = account{zitadelLogin, zitadelUser, zitadelEmail, zitadelGroups}
	dexAccount     = account{dexLogin, dexUser, dexEmail, dexGroups}
)

// answer is what a provider sends the browser back to the gateway's callback with: a
// redirect to url (code flow, or an error) or a form_post of form to url.
type answer struct {
	url  string
	form url.Values // nil: a GET of url
}

// callbackStopper returns a browser-like client (its own cookie jar) that follows every
// redirect except one to gw's callback, which it returns undelivered.
func callbackStopper(t *testing.T, gw *testenv.Gateway) *http.Client {
	t.Helper()
	c := testenv.NewClient(t, true)
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), gw.URL+"/oidc/callback") {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return c
}

// loginRedirect starts a sign-in at gw with c (GET /oidc/login?rd=/app, which sets the
// login-state cookie in c's jar) and returns the provider URL the gateway sends the
// browser to, with its state, nonce and client_id.
func loginRedirect(t *testing.T, c *http.Client, gw *testenv.Gateway) *url.URL {
	t.Helper()
	noFollow := &http.Client{Jar: c.Jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, body := testenv.Fetch(t, noFollow, gw.URL+"/oidc/login?rd=/app", nil, nil)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("state") == "" {
		t.Fatalf("GET /oidc/login: %d to %q, want 302 to the provider with a state\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return loc
}

// providerAnswer signs in at the provider from authURL (the gateway's redirect, as
// sent or steered) with c, filling its login form with login, and returns the answer
// the provider sends the browser back to gw with, undelivered. c must stop at the
// callback (callbackStopper).
func providerAnswer(t *testing.T, c *http.Client, gw *testenv.Gateway, authURL string, login url.Values) answer {
	t.Helper()
	resp, body := submitForm(t, c, authURL, login)
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && strings.HasPrefix(loc, gw.URL+"/oidc/callback") {
		return answer{url: loc}
	}
	if action, fields, ok := testenv.FindForm(body); ok && strings.HasPrefix(action, gw.URL+"/oidc/callback") {
		return answer{url: action, form: fields}
	}
	t.Fatalf("after the provider's login form: %d at %s, want a redirect or a form_post to %s/oidc/callback\n%s",
		resp.StatusCode, resp.Request.URL, gw.URL, body)
	return answer{}
}

// deliver sends a to the gateway as the browser c would (with c's cookies, no
// redirect followed), with header's fields on top, and returns the gateway's answer.
func deliver(t *testing.T, c *http.Client, a answer, header http.Header) (*http.Response, string) {
	t.Helper()
	noFollow := &http.Client{Jar: c.Jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return testenv.Fetch(t, noFollow, a.url, a.form, header)
}

// steered signs in at the provider from the gateway's own login redirect after steer
// changed it (another client_id, another provider's host), and delivers the provider's
// answer to gw's callback from the browser that started the login. It returns the
// browser, the answer and the gateway's response.
func steered(t *testing.T, gw *testenv.Gateway, acct account, steer func(*url.URL)) (*http.Client, answer, *http.Response, string) {
	t.Helper()
	c := callbackStopper(t, gw)
	auth := loginRedirect(t, c, gw)
	steer(auth)
	a := providerAnswer(t, c, gw, auth.String(), acct.login)
	resp, body := deliver(t, c, a, nil)
	return c, a, resp, body
}

// toHostOf steers a login to the provider at issuer (same path and parameters).
func toHostOf(t *testing.T, issuer string) func(*url.URL) {
	t.Helper()
	o, err := url.Parse(issuer)
	if err != nil {
		t.Fatal(err)
	}
	return func(u *url.URL) { u.Host = o.Host }
}

// inStep leaves a login as the gateway sent it.
func inStep(*url.URL) {}

// withClientID steers a login to the provider's client id.
func withClientID(id string) func(*url.URL) {
	return func(u *url.URL) {
		q := u.Query()
		q.Set("client_id", id)
		u.RawQuery = q.Encode()
	}
}

// wantRefused checks that the gateway answered a callback with a 4xx and logged a
// "sign-in failed" audit line with reason (before of them were logged before) whose
// error contains errText. It returns that line.
func wantRefused(t *testing.T, gw *testenv.Gateway, resp *http.Response, body string, before int, reason, errText string) map[string]any {
	t.Helper()
	if resp.StatusCode < 400 || resp.StatusCode > 499 {
		t.Errorf("the callback answered %d (Location %q), want a 4xx refusal\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	recs := gw.WaitLogRecords(t, "sign-in failed, reason "+reason, before+1, testenv.LogWait, func(rec map[string]any) bool {
		return rec["msg"] == "sign-in failed" && rec["reason"] == reason
	})
	rec := recs[len(recs)-1]
	t.Logf("refused with %d, audit reason %s: %s", resp.StatusCode, reason, testenv.Str(rec, "error"))
	if e := testenv.Str(rec, "error"); !strings.Contains(e, errText) || rec["audit"] != true {
		t.Errorf("the refusal's audit line has error %q (audit %v), want an audit line whose error contains %q", e, rec["audit"], errText)
	}
	return rec
}

// wantNotSignedIn checks that no sign-in succeeded at gw and the browser c has no
// session there.
func wantNotSignedIn(t *testing.T, gw *testenv.Gateway, c *http.Client) {
	t.Helper()
	if n := len(testenv.RecordsWithMsg(gw.Logs(), "sign-in succeeded")); n != 0 {
		t.Errorf("%d sign-ins succeeded, want none\n--- gateway log ---\n%s", n, gw.Logs())
	}
	if status, _ := fetchApp(t, c, gw); status != http.StatusUnauthorized {
		t.Errorf("after the refused callback the browser gets %d at /app, want 401 (not signed in)", status)
	}
}

// refusals counts gw's "sign-in failed" lines with reason.
func refusals(gw *testenv.Gateway, reason string) int {
	return countRecords(gw, "sign-in failed", "reason", reason)
}

// countRecords counts gw's log lines with msg whose key is value.
func countRecords(gw *testenv.Gateway, msg, key, value string) int {
	n := 0
	for _, rec := range testenv.RecordsWithMsg(gw.Logs(), msg) {
		if rec[key] == value {
			n++
		}
	}
	return n
}

// wantReplayRefused delivers a real answer of the provider at gw, which signs the
// user in, then the same answer again: from the same browser (its login-state cookie
// is gone: state_mismatch) and with the login-state cookie captured along with it,
// refused with reason and errText. Then a new sign-in works.
func wantReplayRefused(t *testing.T, gw *testenv.Gateway, acct account, reason, errText string) {
	t.Helper()
	c := callbackStopper(t, gw)
	a := providerAnswer(t, c, gw, loginRedirect(t, c, gw).String(), acct.login)
	captured := http.Header{"Cookie": {cookieHeader(t, c, gw)}}
	resp, body := deliver(t, c, a, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app" {
		t.Fatalf("the first delivery answered %d to %q, want 303 to /app\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = deliver(t, c, a, nil)
	wantRefused(t, gw, resp, body, 0, "state_mismatch", "state")
	resp, body = deliver(t, testenv.NewClient(t, false), a, captured)
	wantRefused(t, gw, resp, body, 0, reason, errText)
	if n := len(testenv.RecordsWithMsg(gw.Logs(), "sign-in succeeded")); n != 1 {
		t.Errorf("%d sign-ins succeeded, want 1 (the first delivery)", n)
	}
	wantSignInWorks(t, gw, acct)
}

// wantSignInWorks checks that after the refusals a normal sign-in at gw still works.
func wantSignInWorks(t *testing.T, gw *testenv.Gateway, acct account) {
	t.Helper()
	wantIdentity(t, formSignIn(t, gw, acct.login), acct.user, acct.email, acct.groups)
}

// wantOtherClientsTokenRefused steers a login at gw (a form_post gateway signing in
// as own) to the provider's client other, checks that the provider form_posted an ID
// token for other, and that the gateway refused it for its audience, signed no one
// in, and still signs the user in normally afterwards.
func wantOtherClientsTokenRefused(t *testing.T, gw *testenv.Gateway, acct account, own, other string) {
	t.Helper()
	c, a, resp, body := steered(t, gw, acct, withClientID(other))
	if aud := fmt.Sprint(testenv.JWTClaims(t, a.form.Get("id_token"))["aud"]); !strings.Contains(aud, other) {
		t.Fatalf("the provider's ID token has aud %s, want the other client %s", aud, other)
	}
	wantRefused(t, gw, resp, body, 0, "audience", `expected audience "`+own+`"`)
	wantNotSignedIn(t, gw, c)
	wantSignInWorks(t, gw, acct)
}

// wantOtherClientsCodeRefused steers a login at gw (a code-flow gateway) to the
// provider's client other, checks that the provider answered with a code, and that the
// gateway, whose redemption of it the provider refuses, answered with a 4xx and an
// audit line with reason and errText, signed no one in, and still signs the user in
// normally afterwards.
func wantOtherClientsCodeRefused(t *testing.T, gw *testenv.Gateway, acct account, other, reason, errText string) {
	t.Helper()
	c, a, resp, body := steered(t, gw, acct, withClientID(other))
	if a.form != nil || !strings.Contains(a.url, "code=") {
		t.Fatalf("the provider answered %+v, want a redirect with a code", a)
	}
	wantRefused(t, gw, resp, body, 0, reason, errText)
	wantNotSignedIn(t, gw, c)
	wantSignInWorks(t, gw, acct)
}

// startClockGateway is startGateway with a gateway built with -tags testclock whose
// token clock the test moves (testenv.NewGatewayTokenClock).
func startClockGateway(t *testing.T, addr, issuer string, env map[string]string) (*testenv.Gateway, *testenv.GatewayClock) {
	t.Helper()
	clock := testenv.NewGatewayTokenClock(t)
	full := maps.Clone(env)
	maps.Copy(full, clock.Env())
	return startGatewayBin(t, clockBuilder.Build(t), addr, issuer, full), clock
}

// wantSkewRefused runs the skewed-clock cases on gw: with its token clock ahead of the
// provider by ahead (more than the provider's ID-token lifetime plus the allowed skew)
// a fresh token is refused as expired; 15 minutes ahead (within the token's lifetime
// but past the 10-minute sign-in window plus the skew) as issued too long ago; an hour
// behind, as issued in the future. Then, 90 seconds behind (within the allowed skew)
// and in step, sign-in works.
func wantSkewRefused(t *testing.T, gw *testenv.Gateway, clock *testenv.GatewayClock, acct account, ahead time.Duration) {
	t.Helper()
	for _, tc := range []struct {
		name            string
		offset          time.Duration
		reason, errText string
	}{
		{"ahead past the token's lifetime", ahead, "expired", "token is expired"},
		{"ahead past the sign-in window", 15 * time.Minute, "iat", "issued too long ago for a sign-in"},
		{"an hour behind", -time.Hour, "iat", "issued in the future"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock.Set(t, tc.offset)
			before := refusals(gw, tc.reason)
			c, _, resp, body := steered(t, gw, acct, inStep)
			wantRefused(t, gw, resp, body, before, tc.reason, tc.errText)
			wantNotSignedIn(t, gw, c)
		})
	}
	for _, offset := range []time.Duration{-90 * time.Second, 0} {
		clock.Set(t, offset)
		wantSignInWorks(t, gw, acct)
	}
}

// cookieHeader is the Cookie header c's jar sends to gw: what an attacker who captured
// the browser's request to the callback would send along with its body.
func cookieHeader(t *testing.T, c *http.Client, gw *testenv.Gateway) string {
	t.Helper()
	u, err := url.Parse(gw.URL + "/oidc/callback")
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for _, ck := range c.Jar.Cookies(u) {
		pairs = append(pairs, ck.Name+"="+ck.Value)
	}
	if len(pairs) == 0 {
		t.Fatal("the browser holds no cookie for the gateway's callback (no login state)")
	}
	return strings.Join(pairs, "; ")
}
