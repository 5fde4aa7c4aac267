// Package interop runs the gateway binary against real OpenID providers other than the
// default test provider, one named test per provider and capability (docs/interop.md).
// The providers' binaries are built and cached by .ci/idps.sh.
package interop

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

var builder testenv.Builder

func TestMain(m *testing.M) { os.Exit(builder.Run(m)) }

// echoed is what the upstream received from the gateway.
type echoed struct {
	User  string `json:"user"`
	Email string `json:"email"`
}

// newEchoUpstream answers every request with the identity headers the gateway sent.
func newEchoUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{User: r.Header.Get("X-Auth-Request-User"), Email: r.Header.Get("X-Auth-Request-Email")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// startGateway starts the gateway on addr in front of a new echo upstream, signing in
// at issuer with env's OIDC settings.
func startGateway(t *testing.T, addr, issuer string, env map[string]string) *testenv.Gateway {
	t.Helper()
	up := newEchoUpstream(t)
	full := map[string]string{
		"LISTEN_ADDR": addr, "PUBLIC_URL": "http://" + addr, "UPSTREAM_URL": up.URL, "OIDC_ISSUER": issuer,
	}
	for k, v := range env {
		full[k] = v
	}
	gw := testenv.StartGateway(t, builder.Build(t), full)
	gw.WaitReady(t, 60*time.Second)
	return gw
}

// formSignIn opens gw's /app with a browser-like client, submits the provider's login
// form (the first form on the page it lands on) with fields, and returns what the
// upstream received once the gateway signed the user in.
func formSignIn(t *testing.T, gw *testenv.Gateway, fields url.Values) echoed {
	t.Helper()
	c := testenv.NewClient(t, true)
	resp, page := testenv.Fetch(t, c, gw.URL+"/app", nil, nil)
	action, hidden := testenv.ParseForm(t, page)
	for k, v := range fields {
		hidden[k] = v
	}
	target, err := resp.Request.URL.Parse(action)
	if err != nil {
		t.Fatalf("login form action %q: %v", action, err)
	}
	resp, body := testenv.Fetch(t, c, target.String(), hidden, nil)
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
