package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// hangUp is an upstream that drops every connection without answering.
func hangUp(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestUpstreamDownIs502WithRequestID(t *testing.T) {
	for _, up := range []struct {
		name    string
		fixture fixtureOptions
	}{
		{"closed port", fixtureOptions{}},
		{"connection dropped", fixtureOptions{upstream: http.HandlerFunc(hangUp)}},
	} {
		t.Run(up.name, func(t *testing.T) {
			if up.name == "closed port" {
				up.fixture.upstreamURL = mustParse(t, "http://"+testenv.FreeAddr(t))
			}
			f := newFixture(t, up.fixture)
			b := f.browser()
			b.signIn("/")
			for _, tc := range []struct{ name, accept, wantType string }{
				{"browser", acceptHTML, "text/html"},
				{"API", "application/json", "application/json"},
			} {
				start := time.Now()
				resp, body := b.do(b.request(http.MethodGet, "/runs", tc.accept, nil))
				elapsed := time.Since(start)
				t.Logf("%s: 502 after %v", tc.name, elapsed)
				rid := resp.Header.Get("X-Request-Id")
				switch {
				case resp.StatusCode != http.StatusBadGateway:
					t.Errorf("%s: got status %d, want 502; body %q", tc.name, resp.StatusCode, body)
				case rid == "" || !strings.Contains(body, rid):
					t.Errorf("%s: body %q does not show the request ID %q", tc.name, body, rid)
				case !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType):
					t.Errorf("%s: Content-Type got %q, want %s", tc.name, resp.Header.Get("Content-Type"), tc.wantType)
				case resp.Header.Get("Retry-After") != "5":
					t.Errorf("%s: Retry-After got %q, want 5", tc.name, resp.Header.Get("Retry-After"))
				case strings.Contains(body, "refused") || strings.Contains(body, "EOF") || strings.Contains(body, "dial"):
					t.Errorf("%s: body leaks the internal error: %q", tc.name, body)
				case tc.accept == acceptHTML && !strings.Contains(body, `<a class="button" href="/runs">Try again</a>`):
					t.Errorf("%s: the 502 page has no Try again back to /runs: %q", tc.name, body)
				case elapsed > 5*time.Second:
					t.Errorf("%s: answered after %v, want under 5s", tc.name, elapsed)
				}
				if tc.accept == "application/json" {
					if got := decodeJSON(t, body); got["error"] != "upstream_unavailable" || got["request_id"] != rid {
						t.Errorf("%s: body got %v, want error upstream_unavailable, request_id %q", tc.name, got, rid)
					}
				}
				if !loggedError(t, f, rid, 502) {
					t.Errorf("%s: no ERROR log line with request_id %q and status 502", tc.name, rid)
				}
			}
		})
	}
}

// loggedError reports whether the gateway logged an ERROR line about request rid with
// status and the internal cause.
func loggedError(t *testing.T, f *fixture, rid string, status int) bool {
	for _, rec := range f.logs.records(t, "") {
		if rec["level"] == "ERROR" && rec["request_id"] == rid && rec["status"] == float64(status) && rec["error"] != nil {
			return true
		}
	}
	return false
}

// nextAttempt waits for the IdP manager's next discovery attempt, at most 10s.
func nextAttempt(t *testing.T, f *fixture) error {
	t.Helper()
	select {
	case err := <-f.attempts:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no discovery attempt within 10s")
		return nil
	}
}

func TestIdPDownAtStartRecoversWithoutRestart(t *testing.T) {
	f := newFixture(t, fixtureOptions{idpDown: true})
	if err := nextAttempt(t, f); err == nil {
		t.Fatal("discovery against a closed port: got success, want an error")
	}
	b := f.browser()
	for _, path := range []string{"/runs", "/oidc/login?rd=%2Fruns"} {
		resp, body := b.navigate(path)
		rid := resp.Header.Get("X-Request-Id")
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, rid) || resp.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s with the IdP down: got %d Retry-After %q, want a 503 page with request ID %q and Retry-After; body %q",
				path, resp.StatusCode, resp.Header.Get("Retry-After"), rid, body)
		}
		if strings.Contains(body, "refused") {
			t.Errorf("GET %s: page leaks the internal error: %q", path, body)
		}
	}

	f.startIdP()
	// The manager retries only when asked (its timer is an hour): a navigation asks.
	b.navigate("/runs")
	for err := nextAttempt(t, f); err != nil; err = nextAttempt(t, f) {
		t.Logf("attempt after the IdP started: %v", err)
	}
	resp, body := b.navigate("/runs")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, f.idp.Issuer()+"/authorize?") {
		t.Fatalf("after the IdP came up: got %d Location %q, want 302 to the IdP; body %q", resp.StatusCode, loc, body)
	}
	if got := b.signIn("/runs"); got != "/runs" {
		t.Errorf("sign-in after recovery: Location got %q, want /runs", got)
	}
}
