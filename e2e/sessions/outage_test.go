package sessions

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// outageBudget is how long a request may take to fail while Redis is down.
const outageBudget = 3 * time.Second

// TestRedisOutageAndRecovery: while Redis is down the gateway answers fast with 503
// (never a sign-in redirect: an outage is not a sign-out) and reports not-ready;
// once Redis is back the same cookie works again and no session was lost. A
// back-channel logout that arrived during the outage gets 503, and ends the session
// when the IdP sends it again.
func TestRedisOutageAndRecovery(t *testing.T) {
	c := startCluster(t, true, redisStore)
	gw := c.gws[0]
	ctx := testenv.Chrome(t)
	signIn(t, ctx, c, gw, "/app", "alice")
	cookie := cookieHeader(t, ctx, gw.URL)
	wantUpstream(t, gw, cookie, "alice")

	c.redis.Stop(t)

	for i := range 3 { // the first request finds pooled connections closed; later ones a refused dial
		start := time.Now()
		r := get(t, gw.URL+"/api/runs", cookie, acceptJSON)
		took := time.Since(start)
		t.Logf("API request %d during the outage: %d in %v", i+1, r.status, took.Round(time.Millisecond))
		if r.status != http.StatusServiceUnavailable {
			t.Fatalf("API request during the outage: status %d, want 503\n%s", r.status, r.body)
		}
		if took > outageBudget {
			t.Errorf("API request during the outage took %v, want under %v", took, outageBudget)
		}
		if got := r.header.Get("Retry-After"); got == "" {
			t.Errorf("API request during the outage: no Retry-After header")
		}
		if got := r.jsonBody(t)["error"]; got != "session_store_unavailable" {
			t.Errorf("API request during the outage: error %v, want session_store_unavailable", got)
		}
	}

	start := time.Now()
	r := get(t, gw.URL+"/app", cookie, testenv.AcceptHTML)
	t.Logf("browser navigation during the outage: %d in %v", r.status, time.Since(start).Round(time.Millisecond))
	if r.status != http.StatusServiceUnavailable || r.header.Get("Location") != "" {
		t.Fatalf("navigation during the outage: status %d, Location %q; want 503 and no redirect to sign in",
			r.status, r.header.Get("Location"))
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(r.body, "session store") {
		t.Errorf("navigation during the outage: Content-Type %q; want an HTML page about the session store:\n%s", ct, r.body)
	}
	if r := get(t, gw.URL+"/oidc/userinfo", cookie, acceptJSON); r.status != http.StatusServiceUnavailable {
		t.Errorf("GET /oidc/userinfo during the outage: status %d, want 503\n%s", r.status, r.body)
	}
	// The browser itself stays on the gateway's page: no trip to the provider.
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.Navigate(gw.URL+"/app?during=outage")); err != nil {
		t.Fatalf("navigate during the outage: %v", err)
	}
	if p := probe(cctx); !strings.HasPrefix(p.URL, gw.URL+"/app") || !strings.Contains(p.Body, "session store") {
		t.Errorf("the browser during the outage is at %s showing %q; want the gateway's 503 page at /app", p.URL, p.Body)
	}
	ready := get(t, gw.OpsURL+"/readyz", "", acceptJSON)
	checks, _ := ready.jsonBody(t)["checks"].(map[string]any)
	if ready.status != http.StatusServiceUnavailable || checks["session_store"] == "ok" || checks["session_store"] == nil {
		t.Errorf("/readyz during the outage: %d %s; want 503 naming session_store", ready.status, ready.body)
	}
	// The user signs out at the provider meanwhile: its back-channel logout cannot
	// end the session now, so the gateway asks it to try again later.
	end := withQuery(endSessionEndpoint(t, c.idp), url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {gw.URL + "/"}})
	if err := chromedp.Do(cctx, chromedp.Navigate(end), testenv.LogoutOIDCProvider()); err != nil {
		t.Fatalf("sign out at the provider: %v\n--- provider log ---\n%s", err, c.idp.Logs())
	}
	logout := c.relay.next(t)
	if logout.status != http.StatusServiceUnavailable {
		t.Errorf("back-channel logout during the outage: status %d, want 503", logout.status)
	}

	c.redis.Start(t)
	start = time.Now()
	gw.WaitReady(t, 30*time.Second)
	t.Logf("/readyz answered 200 %v after Redis answered PING", time.Since(start).Round(time.Millisecond))
	wantUpstream(t, gw, cookie, "alice")
	// WaitReady fails as soon as the process exits; it is still the one first started.
	if r := get(t, gw.OpsURL+"/healthz", "", acceptJSON); r.status != http.StatusOK {
		t.Errorf("/healthz after the outage: %d, want 200", r.status)
	}
	if n := len(testenv.RecordsWithMsg(gw.Logs(), "sign-in succeeded")); n != 1 {
		t.Errorf("%d sign-ins logged, want 1: the session outlived the outage", n)
	}

	// The IdP sends the logout token again, as the 503 asked: now it ends the session.
	if r := postLogoutToken(t, gw, logout.token); r.status != http.StatusOK {
		t.Fatalf("the back-channel logout sent again after the outage: status %d, want 200\n%s", r.status, r.body)
	}
	rec := gw.WaitRecord(t, "back-channel logout", 10*time.Second, func(map[string]any) bool { return true })
	if rec["sessions_ended"] != float64(1) {
		t.Errorf("back-channel logout after the outage: sessions_ended %v, want 1", rec["sessions_ended"])
	}
	wantUnauthenticated(t, gw, cookie)
}
