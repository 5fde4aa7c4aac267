package sessions

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// refreshInterval is the gateway's REFRESH_INTERVAL in TestRefreshEndsDisabledUser.
const refreshInterval = time.Second

// parallelRequests is how many requests race one due refresh, in each of
// burstRounds rounds.
const (
	parallelRequests = 20
	burstRounds      = 3
)

// TestRefreshEndsDisabledUser: a pkce session with a refresh token re-validates at
// the IdP every REFRESH_INTERVAL, once per session however many requests arrive when
// it is due, and ends when the IdP refuses the refresh (the user was disabled).
func TestRefreshEndsDisabledUser(t *testing.T) {
	addr := testenv.FreeAddr(t)
	idp := startTestIdP(t, "http://"+addr+"/oidc/callback")
	rds := testenv.StartRedis(t)
	gw := testenv.StartGateway(t, builder.Build(t), map[string]string{
		"LISTEN_ADDR": addr, "PUBLIC_URL": "http://" + addr, "UPSTREAM_URL": newEchoUpstream(t).URL,
		"OIDC_ISSUER": idp.Issuer(), "OIDC_CLIENT_ID": clientID, "OIDC_AUTH_METHOD": "pkce",
		"OIDC_SCOPES": "openid profile email offline_access", "REFRESH_INTERVAL": refreshInterval.String(),
		"SESSION_STORE": rds.URL(), "COOKIE_SECRET": newCookieSecret(t),
	})
	gw.WaitReady(t, 30*time.Second)
	cookie := signInHTTP(t, gw, "alice")
	wantUpstream(t, gw, cookie, "alice")

	// Requests keep the session in use until its first refresh is due and done.
	first := untilRefreshed(t, gw, cookie)
	if got := idp.refreshGrants(); !slices.Equal(got, []int{http.StatusOK}) {
		t.Fatalf("refresh grants after the first refresh: %v, want [200]", got)
	}

	// Each round waits until the next refresh is due (the clock, not another process,
	// decides when, so this waits for the clock) and sends parallelRequests at once:
	// exactly one of them refreshes, and none spends a refresh token another rotated.
	last := first
	for round := range burstRounds {
		time.Sleep(time.Until(logTime(t, last).Add(refreshInterval + 100*time.Millisecond)))
		for i, s := range burst(t, gw.URL+"/api/runs", cookie, parallelRequests) {
			if s != http.StatusOK {
				t.Errorf("round %d: parallel request %d when a refresh was due: status %d, want 200", round+1, i, s)
			}
		}
		want := slices.Repeat([]int{http.StatusOK}, round+2)
		if got := idp.refreshGrants(); !slices.Equal(got, want) {
			t.Fatalf("round %d: refresh grants after %d parallel requests: %v, want %v: one refresh per session at a time\n--- gateway log ---\n%s",
				round+1, parallelRequests, got, want, gw.Logs())
		}
		done := testenv.RecordsWithMsg(gw.Logs(), "session refresh")
		last = done[len(done)-1]
	}
	wantUpstream(t, gw, cookie, "alice")

	if err := idp.DisableUser("alice"); err != nil {
		t.Fatal(err)
	}
	rec := untilRefused(t, gw, cookie)
	if rec["user"] != "alice" || rec["audit"] != true {
		t.Errorf("the rejected refresh's audit line: user %v, audit %v; want alice, true", rec["user"], rec["audit"])
	}
	wantUnauthenticated(t, gw, cookie)
	if got := idp.refreshGrants(); len(got) != burstRounds+2 || got[burstRounds+1] != http.StatusBadRequest {
		t.Errorf("refresh grants: %v, want %d accepted and then one refused with 400", got, burstRounds+1)
	}
}

// untilRefreshed sends requests with cookie, one at a time, each of which must
// succeed, until gw has logged a successful "session refresh", or 10 seconds pass;
// it returns that log line.
func untilRefreshed(t *testing.T, gw *testenv.Gateway, cookie string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if status, err := fetchStatus(gw.URL+"/api/runs", cookie); err != nil || status != http.StatusOK {
			t.Fatalf("request while waiting for a refresh: status %d, error %v; want 200\n--- gateway log ---\n%s", status, err, gw.Logs())
		}
		for _, rec := range testenv.RecordsWithMsg(gw.Logs(), "session refresh") {
			if rec["outcome"] == "success" {
				return rec
			}
		}
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
	t.Fatalf("no successful session refresh logged within 10s\n--- gateway log ---\n%s", gw.Logs())
	return nil
}

// untilRefused sends requests with cookie, one at a time, until one is refused, or
// 10 seconds pass. The refusal must be a 401 from a refresh the IdP rejected: it
// returns the "session refresh" log line with outcome "rejected".
func untilRefused(t *testing.T, gw *testenv.Gateway, cookie string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		status, err := fetchStatus(gw.URL+"/api/runs", cookie)
		if err != nil {
			t.Fatalf("request while waiting for the refresh to be refused: %v", err)
		}
		if status != http.StatusOK {
			if status != http.StatusUnauthorized {
				t.Fatalf("the request whose refresh the IdP refused: status %d, want 401", status)
			}
			return gw.WaitRecord(t, "session refresh", 5*time.Second, func(m map[string]any) bool { return m["outcome"] == "rejected" })
		}
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
	t.Fatalf("the session was still accepted 10s after the user was disabled\n--- gateway log ---\n%s", gw.Logs())
	return nil
}

// burst sends n GET requests with cookie at once and returns their statuses.
func burst(t *testing.T, rawURL, cookie string, n int) []int {
	t.Helper()
	statuses := make([]int, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i], errs[i] = fetchStatus(rawURL, cookie)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("parallel request %d: %v", i, err)
		}
	}
	return statuses
}

// logTime returns the time of a JSON log line.
func logTime(t *testing.T, rec map[string]any) time.Time {
	t.Helper()
	s, _ := rec["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("log line time %q: %v", s, err)
	}
	return at
}
