package gateway

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

func TestBadConfigurationListsEveryProblem(t *testing.T) {
	t.Parallel()
	bin := builder.Build(t)
	const secret = "supersecretvalue"
	problems := []string{
		"ssogate: the configuration has problems; nothing was started:",
		"OIDC_ISSUER is required (unless LOCAL_RESTORE=true): set it to your IdP's issuer URL",
		"OIDC_CLIENT_ID is required (unless LOCAL_RESTORE=true): set it to the client (application) ID registered at your IdP",
		`OIDC_AUTH_METHOD="oauth": must be "implicit" or "pkce"`,
		`UPSTREAM_URL="wandb:8080": must be an absolute http(s):// or unix:// URL (for example http://wandb:8080)`,
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"environment", map[string]string{"OIDC_AUTH_METHOD": "oauth", "UPSTREAM_URL": "wandb:8080", "OIDC_CLIENT_SECRET": secret}, nil, problems},
		{"flags", nil, []string{"--oidc-auth-method=oauth", "--upstream-url=wandb:8080", "--oidc-client-secret=" + secret}, problems},
		{"short cookie secret", map[string]string{"OIDC_ISSUER": "https://idp.example.com", "OIDC_CLIENT_ID": "wandb",
			"COOKIE_SECRET": "c3VwZXJzZWNyZXR2YWx1ZQ=="}, nil, // base64 of the secret
			[]string{"COOKIE_SECRET is too short", `openssl rand -base64 32`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"LISTEN_ADDR": testenv.FreeAddr(t), "OPS_ADDR": testenv.FreeAddr(t), "DATA_DIR": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			out, code := testenv.RunGateway(t, bin, env, tc.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2; output:\n%s", code, out)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("the output lacks %q:\n%s", want, out)
				}
			}
			for _, leak := range []string{secret, "c3VwZXJzZWNyZXR2YWx1ZQ", "ssogate started"} {
				if strings.Contains(out, leak) {
					t.Errorf("the output contains %q:\n%s", leak, out)
				}
			}
		})
	}
}

func TestGatewayStartsWithIdPDownAndRecovers(t *testing.T) {
	t.Parallel()
	idpPort := testenv.FreePort(t)
	issuer := "http://127.0.0.1:" + strconv.Itoa(idpPort)
	addr := testenv.FreeAddr(t)
	public := "http://" + addr
	s := &stack{up: newEchoUpstream(t, public, public+"/oidc/jwks.json", &http.Client{Timeout: 5 * time.Second})}
	s.gw = testenv.StartGateway(t, builder.Build(t), map[string]string{
		"LISTEN_ADDR": addr, "PUBLIC_URL": public, "UPSTREAM_URL": s.up.URL,
		"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce",
		"OIDC_SCOPES": "openid profile email groups",
	})
	plain := testenv.NewClient(t, false)

	resp, body := testenv.Fetch(t, plain, s.gw.OpsURL+"/readyz", nil, nil)
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || resp.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(ready.Checks["idp"], "connection refused") {
		t.Errorf("/readyz with the IdP down: got %d %q, want 503 naming the IdP check's reason (connection refused)", resp.StatusCode, body)
	}
	resp, body = testenv.Fetch(t, plain, s.gw.URL+"/dashboard", nil, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, "cannot be reached") || !strings.Contains(body, "Request ID:") {
		t.Errorf("navigation with the IdP down: got %d, Retry-After %q, body %q; want a 503 page with Retry-After and a request ID",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	s.gw.WaitLog(t, "identity provider not ready; retrying", 10*time.Second)

	s.idp = testenv.StartOIDCProvider(t, testenv.ProviderConfig{Port: idpPort,
		Clients: []testenv.Client{testenv.PublicClient("spa", public+"/oidc/callback")}})
	s.gw.WaitReady(t, 45*time.Second)
	ctx := testenv.Chrome(t)
	at, e := browserSignIn(t, ctx, s, s.gw.URL+"/dashboard", "alice")
	if want := public + "/dashboard"; at != want {
		t.Errorf("the browser landed on %s, want %s", at, want)
	}
	checkSignedIn(t, e, "alice", "Alice Admin", []string{"wandb-admins", "ml-team"})
	if n := len(testenv.RecordsWithMsg(s.gw.Logs(), "ssogate started")); n != 1 {
		t.Errorf("the gateway started %d times, want once (no restart)", n)
	}
}

func TestGracefulShutdownDrainsInFlight(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.PublicClient("spa", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce"})
	c := testenv.NewClient(t, true)
	if resp, body := testenv.ProviderLogin(t, c, s.gw.URL+"/", "alice"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `<p id="user">alice</p>`) {
		t.Fatalf("sign in: got %d, body %q; want the upstream page for alice", resp.StatusCode, body)
	}

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := c.Get(s.gw.URL + "/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, string(body), err}
	}()
	select {
	case <-s.up.slowArrived:
	case <-time.After(10 * time.Second):
		t.Fatalf("the slow request did not reach the upstream within 10s\n--- gateway log ---\n%s", s.gw.Logs())
	}

	s.gw.Signal(t, syscall.SIGTERM)
	s.gw.WaitLog(t, "shutting down: draining in-flight requests", 10*time.Second)
	// New connections are refused while the in-flight request is drained.
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", s.gw.Env["LISTEN_ADDR"], time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the public listener still accepts connections 5s after SIGTERM")
		}
		time.Sleep(50 * time.Millisecond) // polling interval, bounded by the deadline
	}
	select {
	case r := <-done:
		t.Fatalf("the in-flight request ended before the upstream answered: %d %q %v", r.status, r.body, r.err)
	default:
	}

	close(s.up.release)
	var r result
	select {
	case r = <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("the in-flight request did not complete within 15s of its release")
	}
	var e echoed
	if r.err != nil || r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &e) != nil || e.Path != "/slow" {
		t.Fatalf("in-flight request: got %d %q (%v), want 200 with the upstream's echo of /slow", r.status, r.body, r.err)
	}
	if got := strings.Join(e.Headers["X-Auth-Request-User"], ","); got != "alice" {
		t.Errorf("the drained request reached the upstream as %q, want alice", got)
	}
	if code := s.gw.WaitExit(t, 15*time.Second); code != 0 {
		t.Errorf("the gateway exited with %d, want 0\n--- log ---\n%s", code, s.gw.Logs())
	}
	if len(testenv.RecordsWithMsg(s.gw.Logs(), "shutdown complete")) != 1 {
		t.Errorf("no \"shutdown complete\" log line\n--- log ---\n%s", s.gw.Logs())
	}
}
