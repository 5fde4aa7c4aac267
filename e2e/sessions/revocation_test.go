package sessions

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestSharedRevocationAcrossCookieReplicas: two replicas keep sessions in cookies and
// share REVOCATION_STORE. A front-channel logout sent to one and a back-channel logout
// sent by the real provider to the other both end the session on each; while Redis
// is down the replicas refuse with 503 rather than let a revoked session through, and
// the revocations outlive the outage.
func TestSharedRevocationAcrossCookieReplicas(t *testing.T) {
	c := startCluster(t, true, sharedRevokeCookie, sharedRevokeCookie)
	a, b := c.gws[0], c.gws[1] // a receives the provider's back-channel logouts
	ctx := testenv.Chrome(t)
	signIn(t, ctx, c, a, "/app", "alice")
	first := cookieHeader(t, ctx, a.URL)
	wantUpstream(t, b, first, "alice")
	wantSignedOut(t, frontChannel(t, b, url.Values{"sid": {userinfoSID(t, a, first)}, "iss": {c.idp.Issuer}}))
	wantUnauthenticated(t, a, first)
	wantUnauthenticated(t, b, first)

	// The provider still has its session: a new gateway session without a form, then
	// the user signs out at the provider, which tells a over the back channel.
	signIn(t, ctx, c, a, "/app", "")
	second := cookieHeader(t, ctx, a.URL)
	wantUpstream(t, b, second, "alice")
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	end := withQuery(endSessionEndpoint(t, c.idp), url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {a.URL + "/"}})
	if err := chromedp.Do(cctx, chromedp.Navigate(end), testenv.LogoutOIDCProvider()); err != nil {
		t.Fatalf("sign out at the provider: %v\n--- provider log ---\n%s", err, c.idp.Logs())
	}
	if got := c.relay.next(t); got.status != http.StatusOK {
		t.Fatalf("back-channel logout to a: status %d, want 200\n--- a's log ---\n%s", got.status, a.Logs())
	}
	wantUnauthenticated(t, b, second)
	wantUnauthenticated(t, a, second)
	// The provider sends the browser back to a, which sends it on to the provider's
	// sign-in form; a new navigation before it lands there would cut that short.
	settleAtSignInForm(t, cctx)

	signIn(t, ctx, c, a, "/app", "alice")
	third := cookieHeader(t, ctx, a.URL)
	if ready := get(t, b.OpsURL+"/readyz", "", acceptJSON); ready.status != http.StatusOK {
		t.Fatalf("b's /readyz before the outage: %d %s", ready.status, ready.body)
	}

	c.redis.Stop(t)
	r := get(t, b.URL+"/api/runs", third, acceptJSON)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("API request while the revocation store is down: status %d, Retry-After %q; want 503 with Retry-After\n%s",
			r.status, r.header.Get("Retry-After"), r.body)
	}
	ready := get(t, b.OpsURL+"/readyz", "", acceptJSON)
	checks, _ := ready.jsonBody(t)["checks"].(map[string]any)
	if ready.status != http.StatusServiceUnavailable || checks["revocation_store"] == "ok" || checks["revocation_store"] == nil {
		t.Errorf("b's /readyz while Redis is down: %d %s; want 503 naming revocation_store", ready.status, ready.body)
	}

	c.redis.Start(t)
	b.WaitReady(t, 30*time.Second)
	wantUpstream(t, b, third, "alice")
	wantUnauthenticated(t, b, first)
	wantUnauthenticated(t, a, second)
}

// settleAtSignInForm waits until the browser shows the provider's sign-in form.
func settleAtSignInForm(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if probe(ctx).Login {
			return
		}
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
	t.Fatalf("the browser did not reach the provider's sign-in form within 30s; it shows %+v", probe(ctx))
}
