package interop

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// refreshCase is one provider's refresh cell: a gateway whose pkce session (in Redis,
// with a refresh token) re-validates every REFRESH_INTERVAL, the browser-like client c
// signed in there, the identity the upstream must receive, the provider's issuer (where
// a new sign-in starts) and forget, which makes the provider lose the session's
// refresh token (for run).
type refreshCase struct {
	gw                  *testenv.Gateway
	c                   *http.Client
	user, email, groups string
	issuer              string
	forget              func(t *testing.T)
}

// run checks that two refreshes in a row succeed (wantRefreshes), then that once the
// provider forgot the token its refusal ends the session (wantRefused). It returns the
// refusal's audit line.
func (rc refreshCase) run(t *testing.T) map[string]any {
	t.Helper()
	rc.wantRefreshes(t)
	rc.forget(t)
	return rc.wantRefused(t)
}

// wantRefreshes checks that two refreshes in a row succeed and keep the identity
// complete (the second spends the token the first got when the provider rotates it).
func (rc refreshCase) wantRefreshes(t *testing.T) {
	t.Helper()
	gw := rc.gw
	deadline := time.Now().Add(15 * time.Second)
	for refreshes(gw, "success") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d successful session refreshes within 15s, want 2\n--- gateway log ---\n%s", refreshes(gw, "success"), gw.Logs())
		}
		status, e := fetchApp(t, rc.c, gw)
		if status != http.StatusOK {
			t.Fatalf("request while waiting for refreshes: status %d, want 200\n--- gateway log ---\n%s", status, gw.Logs())
		}
		wantIdentity(t, e, rc.user, rc.email, rc.groups)
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
	if n := refreshes(gw, "rejected"); n != 0 {
		t.Fatalf("%d refreshes rejected before the provider forgot the token, want 0\n--- gateway log ---\n%s", n, gw.Logs())
	}
}

// wantRefused checks that the provider's refusal of the session's refresh token ends
// the session: requests get the identity until the API request that finds the refresh
// refused gets 401, and so does every later one, a browser is sent to the provider's
// login form, and a "rejected" audit line, which it returns, names the user. No request
// reaches the upstream with another identity meanwhile.
func (rc refreshCase) wantRefused(t *testing.T) map[string]any {
	t.Helper()
	gw := rc.gw
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, e := fetchApp(t, rc.c, gw)
		if status == http.StatusUnauthorized {
			break
		}
		if status != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("after the provider stopped accepting the refresh token: status %d, want 200 until a refresh is refused, then 401\n--- gateway log ---\n%s",
				status, gw.Logs())
		}
		wantIdentity(t, e, rc.user, rc.email, rc.groups)
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
	rec := gw.WaitRecord(t, "session refresh", 5*time.Second, func(m map[string]any) bool { return m["outcome"] == "rejected" })
	if rec["user"] != rc.user {
		t.Errorf("the rejected refresh's audit line names user %v, want %s", rec["user"], rc.user)
	}
	if status, _ := fetchApp(t, rc.c, gw); status != http.StatusUnauthorized {
		t.Errorf("the request after the refused refresh: status %d, want 401", status)
	}
	resp, page := testenv.Fetch(t, rc.c, gw.URL+"/app", nil, nil)
	if !strings.HasPrefix(resp.Request.URL.String(), rc.issuer) || !strings.Contains(page, `name="password"`) {
		t.Errorf("a browser after the refused refresh ends at %s, want the provider's login form\n%s", resp.Request.URL, page)
	}
	return rec
}

// refreshes counts gw's "session refresh" log lines with outcome.
func refreshes(gw *testenv.Gateway, outcome string) int {
	return countRecords(gw, "session refresh", "outcome", outcome)
}

// fetchApp requests gw's /app with c's cookies as an API client (a 401, not a redirect,
// when not signed in) and returns the status and, on 200, what the upstream received.
func fetchApp(t *testing.T, c *http.Client, gw *testenv.Gateway) (int, echoed) {
	t.Helper()
	resp, body := testenv.Fetch(t, c, gw.URL+"/app", nil, http.Header{"Accept": {"application/json"}})
	var e echoed
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("upstream answer %q: %v", body, err)
		}
	}
	return resp.StatusCode, e
}
