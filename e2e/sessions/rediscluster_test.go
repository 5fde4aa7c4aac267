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

// clusterSessions is how many sessions TestRedisClusterSessions signs in over HTTP.
const clusterSessions = 9

// TestRedisClusterSessions runs two gateway replicas on a real Redis Cluster (three
// masters, three replicas): sessions spread over several masters are shared by both
// replicas; RP-initiated, front-channel and back-channel logout end a session on
// both; killing a master gives 503 with Retry-After (never a sign-in) and a failing
// /readyz until its replica takes over, then the same sessions work again with no
// restart of the gateways.
func TestRedisClusterSessions(t *testing.T) {
	rc := testenv.StartRedisCluster(t)
	c := startClusterOn(t, rc.URL(), redisStore, redisStore)
	a, b := c.gws[0], c.gws[1]

	users := []string{"alice", "bob", "jisoo"}
	cookies := make([]string, clusterSessions)
	for i := range cookies {
		cookies[i] = signInProvider(t, c.gws[i%2], users[i%len(users)])
	}
	byMaster := sessionMasters(t, rc)
	if len(byMaster) < 2 {
		t.Fatalf("%d sessions are on %d master(s), want several: %v", clusterSessions, len(byMaster), byMaster)
	}
	t.Logf("sessions per master: %v", byMaster)
	for i, cookie := range cookies {
		for _, gw := range c.gws {
			wantUpstream(t, gw, cookie, users[i%len(users)])
		}
	}

	t.Run("RP-initiated logout", func(t *testing.T) {
		r := get(t, a.URL+"/logout", cookies[0], testenv.AcceptHTML)
		if r.status != http.StatusFound {
			t.Fatalf("GET /logout: status %d, want 302 to the provider\n%s", r.status, r.body)
		}
		wantUnauthenticated(t, b, cookies[0])
		wantUnauthenticated(t, a, cookies[0])
		wantUpstream(t, b, cookies[1], users[1])
	})
	t.Run("front-channel logout", func(t *testing.T) {
		sid := userinfoSID(t, b, cookies[2])
		wantSignedOut(t, frontChannel(t, a, url.Values{"sid": {sid}, "iss": {c.idp.Issuer}}))
		wantUnauthenticated(t, a, cookies[2])
		wantUnauthenticated(t, b, cookies[2])
		wantUpstream(t, a, cookies[3], users[3%len(users)])
	})
	t.Run("back-channel logout", func(t *testing.T) {
		ctx := testenv.Chrome(t)
		signIn(t, ctx, c, b, "/app", "alice")
		cookie := cookieHeader(t, ctx, b.URL)
		wantUpstream(t, a, cookie, "alice")
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		end := withQuery(endSessionEndpoint(t, c.idp), url.Values{"client_id": {clientID}, "post_logout_redirect_uri": {b.URL + "/"}})
		if err := chromedp.Do(cctx, chromedp.Navigate(end), testenv.LogoutOIDCProvider()); err != nil {
			t.Fatalf("sign out at the provider: %v\n--- provider log ---\n%s", err, c.idp.Logs())
		}
		if got := c.relay.next(t); got.status != http.StatusOK {
			t.Fatalf("A answered the provider's back-channel logout with %d, want 200\n--- log of A ---\n%s", got.status, a.Logs())
		}
		wantUnauthenticated(t, a, cookie)
		wantUnauthenticated(t, b, cookie)
		wantUpstream(t, b, cookies[4], users[4%len(users)])
	})
	t.Run("master killed", func(t *testing.T) {
		live := cookies[3:]
		master, most := "", 0
		for m, n := range sessionMasters(t, rc) {
			if n > most {
				master, most = m, n
			}
		}
		rc.Kill(t, master)
		start := time.Now()
		var saw503, sawNotReady bool
		deadline := start.Add(30 * time.Second)
		for {
			ok := 0
			for i, cookie := range live {
				r := get(t, c.gws[i%2].URL+"/api/runs", cookie, acceptJSON)
				switch r.status {
				case http.StatusOK:
					ok++
				case http.StatusServiceUnavailable:
					saw503 = true
					if r.header.Get("Retry-After") == "" {
						t.Errorf("503 during the failover without Retry-After")
					}
				default:
					t.Fatalf("request during the failover: status %d, want 503 or 200 (never a sign-out)\n%s", r.status, r.body)
				}
			}
			if ready := get(t, a.OpsURL+"/readyz", "", acceptJSON); ready.status == http.StatusServiceUnavailable {
				sawNotReady = true
			}
			if ok == len(live) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d sessions still fail 30s after master %s was killed\n--- log of A ---\n%s", len(live)-ok, len(live), master, a.Logs())
			}
			time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
		}
		t.Logf("every session works again %v after master %s was killed", time.Since(start).Round(100*time.Millisecond), master)
		if !saw503 || !sawNotReady {
			t.Errorf("during the failover: saw 503 %v, saw /readyz 503 %v; want both", saw503, sawNotReady)
		}
		rc.WaitHealthy(t)
		for _, gw := range c.gws {
			gw.WaitReady(t, 15*time.Second)
		}
		for i, cookie := range live {
			for _, gw := range c.gws {
				wantUpstream(t, gw, cookie, users[(i+3)%len(users)])
			}
		}
		if n := len(testenv.RecordsWithMsg(a.Logs(), "sign-in succeeded")) + len(testenv.RecordsWithMsg(b.Logs(), "sign-in succeeded")); n != clusterSessions+1 {
			t.Errorf("%d sign-ins logged, want %d: no session was lost to the failover", n, clusterSessions+1)
		}
	})
}

// signInProvider signs user in at gw over HTTP (a fresh client, so a fresh
// provider session) and returns the session's Cookie header.
func signInProvider(t *testing.T, gw *testenv.Gateway, user string) string {
	t.Helper()
	return jarSession(t, signInClient(t, gw, user), gw)
}

// sessionMasters counts the session records on each master.
func sessionMasters(t *testing.T, rc *testenv.RedisCluster) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, k := range rc.Keys(t, "ssogate:s:*") {
		counts[rc.MasterOf(t, k)]++
	}
	return counts
}
