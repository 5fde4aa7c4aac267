package sessions

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/testenv"
)

// idleStep is how much session time passes between uses in TestIdleTimeout, and
// idleUses how many requests each use sends.
const (
	idleStep = 20 * time.Second
	idleUses = 3
)

// TestIdleTimeout runs SESSION_IDLE_TIMEOUT (the shortest, 2m) through the real binary,
// built with -tags testclock so that minutes pass in an instant, for the cookie store
// and for Redis. A session used every 20 seconds stays alive for three idle periods,
// its cookie re-issued at most once per minute however many requests arrive (the
// Redis ticket never); a copy of the first cookie idles out meanwhile (cookie store);
// left unused longer than the timeout, the session is refused: 401 for an API
// client, the provider's sign-in for a browser, and the old copy too.
func TestIdleTimeout(t *testing.T) {
	idle := config.MinIdleTimeout
	for _, tc := range []struct {
		name  string
		redis bool
	}{{"cookie", false}, {"redis", true}} {
		t.Run(tc.name, func(t *testing.T) {
			clock := testenv.NewGatewayClock(t)
			env := clock.Env()
			env["SESSION_IDLE_TIMEOUT"] = idle.String()
			var rds *testenv.Redis
			if tc.redis {
				rds = testenv.StartRedis(t)
				env["SESSION_STORE"] = rds.URL()
			}
			gw := startGateways(t, clockBuilder.Build(t), 1, env)[0]
			gw.WaitLog(t, "TEST CLOCK", testenv.LogWait)
			// advance lets d pass for the gateway's session clock and for Redis's expiries.
			advance := func(d time.Duration) {
				clock.Advance(t, d)
				if rds != nil {
					rds.AdvanceTTLs(t, d)
				}
			}

			first := signInProvider(t, gw, "alice")
			cookie, reissues := first, map[time.Time]int{}
			for clock.Offset() < 3*idle {
				advance(idleStep)
				// The cookie carries its last use to the minute: keep the uses clear of a
				// minute's edge, so this test and the gateway agree on the minute.
				if s := time.Now().Add(clock.Offset()).Second(); s >= 57 || s < 2 {
					advance(5 * time.Second)
				}
				for range idleUses {
					r := get(t, gw.URL+"/api/runs", cookie, acceptJSON)
					if r.status != http.StatusOK {
						t.Fatalf("use %v into the session: status %d, want 200 (a used session stays)\n%s\n--- gateway log ---\n%s",
							clock.Offset(), r.status, r.body, gw.Logs())
					}
					if c := sessionCookie(r.header); c != "" {
						cookie = c
						reissues[time.Now().Add(clock.Offset()).Truncate(time.Minute)]++
					}
				}
			}
			for minute, n := range reissues {
				if n > 1 {
					t.Errorf("the session cookie was re-issued %d times in the minute %s, want at most once", n, minute.Format("15:04"))
				}
			}
			switch {
			case tc.redis && len(reissues) != 0:
				t.Errorf("the Redis ticket was re-issued in %d minutes, want never (the record's expiry slides instead)", len(reissues))
			case !tc.redis && len(reissues) < int(3*idle/time.Minute)-1:
				t.Errorf("the cookie was re-issued in %d of %v's minutes, want every minute but perhaps the first", len(reissues), 3*idle)
			}
			if !tc.redis {
				wantUnauthenticated(t, gw, first) // a copy of the first cookie idled out on its own
			}

			advance(idle + 10*time.Second)
			wantUnauthenticated(t, gw, cookie)
			if r := get(t, gw.URL+"/app", cookie, testenv.AcceptHTML); r.status != http.StatusFound ||
				!strings.Contains(r.header.Get("Location"), "/auth?") {
				t.Errorf("a browser with the idle session: %d to %q, want 302 to the provider's sign-in", r.status, r.header.Get("Location"))
			}
			wantUnauthenticated(t, gw, first)
		})
	}
}

// sessionCookie returns the Cookie header of the session cookie h sets, or "".
func sessionCookie(h http.Header) string {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "ssogate" && c.MaxAge >= 0 && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}

// TestShippedBinaryHasNoTestClock: only a binary built with -tags testclock knows
// SSOGATE_TESTCLOCK_FILE and SSOGATE_TESTCLOCK_TOKENS_FILE. The shipped build contains
// neither name, starts with both pointing at a file that holds no duration, and says
// nothing of a test clock; the testclock build refuses that file in either.
func TestShippedBinaryHasNoTestClock(t *testing.T) {
	shipped, withClock := builder.Build(t), clockBuilder.Build(t)
	names := []string{testenv.TestClockEnv, testenv.TestTokenClockEnv}
	for _, tc := range []struct {
		bin  string
		want bool
	}{{shipped, false}, {withClock, true}} {
		b, err := os.ReadFile(tc.bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if got := bytes.Contains(b, []byte(name)); got != tc.want {
				t.Errorf("%s holds %s: %v, want %v", tc.bin, name, got, tc.want)
			}
		}
	}
	bad := filepath.Join(t.TempDir(), "testclock")
	if err := os.WriteFile(bad, []byte("an hour ahead"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LOCAL_RESTORE": "true", testenv.TestClockEnv: bad, testenv.TestTokenClockEnv: bad}
	gw := testenv.StartGateway(t, shipped, env)
	gw.WaitLog(t, "LOCAL_RESTORE is on", testenv.LogWait)
	if strings.Contains(gw.Logs(), "TEST CLOCK") {
		t.Errorf("the shipped binary mentions a test clock:\n%s", gw.Logs())
	}
	for _, name := range names {
		out, code := testenv.RunGateway(t, withClock, map[string]string{"LOCAL_RESTORE": "true", name: bad,
			"LISTEN_ADDR": testenv.FreeAddr(t), "OPS_ADDR": testenv.FreeAddr(t), "DATA_DIR": t.TempDir()})
		if code == 0 || !strings.Contains(out, name) {
			t.Errorf("the testclock binary with a bad %s: exit %d, want non-zero naming it\n%s", name, code, out)
		}
	}
}
