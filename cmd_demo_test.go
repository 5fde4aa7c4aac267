package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// lockedBuffer is an io.Writer the gateway's goroutines may log to while a test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// started is a `run` in its own goroutine.
type started struct {
	cancel         context.CancelFunc
	done           chan int
	stdout, stderr *lockedBuffer
}

func startRun(t *testing.T, args ...string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{cancel: cancel, done: make(chan int, 1), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	go func() { s.done <- run(ctx, args, s.stdout, s.stderr) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop cancels the run and returns its exit code, waiting at most 40 seconds.
func (s *started) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // a second stop (the cleanup) sees the same code
		return code
	case <-time.After(40 * time.Second):
		t.Fatalf("run did not return within 40s of the cancel; stderr:\n%s", s.stderr)
		return -1
	}
}

// waitOK polls url until it answers 200, failing if run returns first or 20 s pass.
func (s *started) waitOK(t *testing.T, url string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("run returned %d before %s answered; stderr:\n%s\nstdout:\n%s", code, url, s.stderr, s.stdout)
		case <-deadline:
			t.Fatalf("%s did not answer 200 within 20s; stdout:\n%s", url, s.stdout)
		case <-tick.C:
		}
	}
}

func TestDemoSignsAliceInWithNoSetup(t *testing.T) {
	for _, method := range []string{"pkce", "implicit"} {
		t.Run(method, func(t *testing.T) {
			listen, ops := testenv.FreeAddr(t), testenv.FreeAddr(t)
			args := []string{"demo", "--listen", listen, "--ops-addr", ops}
			if method != "pkce" {
				args = append(args, "--auth-method", method)
			}
			s := startRun(t, args...)
			s.waitOK(t, "http://"+ops+"/healthz")
			s.waitOK(t, "http://"+ops+"/readyz")

			gateway := "http://" + listen
			page := signInAsAlice(t, gateway, method)
			for _, want := range []string{"Signed in as <strong>alice</strong>", `role <strong id="role">admin</strong>`,
				"✓ The signed identity assertion verified"} {
				if !strings.Contains(page, want) {
					t.Errorf("the demo application's page lacks %q:\n%s", want, page)
				}
			}

			checkDemoAPIKey(t, gateway)

			if code := s.stop(t); code != 0 {
				t.Errorf("got exit code %d after cancel, want 0; stderr:\n%s", code, s.stderr)
			}
			out := s.stdout.String()
			for _, want := range []string{"ssogate demo (" + method + " flow)", "Open  " + gateway + "/",
				"alice / alice", "bob   / bob", "jisoo / jisoo", "http://" + ops + "/readyz",
				"curl -u api:demo-api-key " + gateway + "/api/whoami"} {
				if !strings.Contains(out, want) {
					t.Errorf("the banner lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// checkDemoAPIKey calls the demo application's second page with its API key, as
// the banner says: the gateway passes the key through without identity and the
// application checks it; a wrong key is the application's 401.
func checkDemoAPIKey(t *testing.T, gateway string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	for key, want := range map[string]int{"demo-api-key": http.StatusOK, "not-the-key": http.StatusUnauthorized} {
		req, _ := http.NewRequest(http.MethodGet, gateway+"/api/whoami", nil)
		req.SetBasicAuth("api", key)
		req.Header.Set("X-Auth-Request-User", "mallory")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET /api/whoami: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /api/whoami with key %q: got %d %s, want %d", key, resp.StatusCode, body, want)
		}
		if want == http.StatusOK && (!strings.Contains(string(body), `"user":"alice"`) || !strings.Contains(string(body), `"identity_headers_from_gateway":0`)) {
			t.Errorf("GET /api/whoami: got %s, want alice by API key with no identity header from the gateway", body)
		}
	}
}

// signInAsAlice walks a browser's sign-in step by step, checking where each redirect
// goes before following it, and returns the demo application's page.
func signInAsAlice(t *testing.T, gateway, method string) string {
	t.Helper()
	b := &stepper{t: t, client: testenv.NewClient(t, false)}
	const original = "/projects/demo?tab=runs"

	resp, _ := b.do(http.MethodGet, gateway+original, nil)
	authorize := b.redirect(resp, http.StatusFound)
	if authorize.Path != "/authorize" || authorize.Host == strings.TrimPrefix(gateway, "http://") {
		t.Fatalf("got redirect to %s, want the demo IdP's /authorize", authorize)
	}
	q := authorize.Query()
	if got, want := q.Get("redirect_uri"), gateway+"/oidc/callback"; got != want {
		t.Errorf("got redirect_uri %q, want %q", got, want)
	}
	if method == "pkce" && (q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256") {
		t.Errorf("got response_type %q, code_challenge_method %q; want code, S256", q.Get("response_type"), q.Get("code_challenge_method"))
	}
	if method == "implicit" && (q.Get("response_type") != "id_token" || q.Get("response_mode") != "form_post") {
		t.Errorf("got response_type %q, response_mode %q; want id_token, form_post", q.Get("response_type"), q.Get("response_mode"))
	}

	resp, body := testenv.TestIdPLogin(t, b.client, authorize.String(), "alice", "alice", "login")

	if method == "pkce" {
		callback := b.redirect(resp, http.StatusFound)
		if got := callback.Scheme + "://" + callback.Host + callback.Path; got != gateway+"/oidc/callback" {
			t.Fatalf("got redirect to %s, want the gateway's callback", callback)
		}
		resp, _ = b.do(http.MethodGet, callback.String(), nil)
	} else {
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: got %s, want 200 with the form_post page:\n%.500s", resp.Request.URL, resp.Status, body)
		}
		action, form := testenv.ParseForm(t, body)
		if action != gateway+"/oidc/callback" || form.Get("id_token") == "" || form.Get("state") == "" {
			t.Fatalf("got form_post to %q with fields %v, want id_token and state for the gateway's callback", action, form)
		}
		resp, _ = b.do(http.MethodPost, action, form)
	}
	back := b.redirect(resp, http.StatusSeeOther)
	if got := back.RequestURI(); got != original || back.Host != strings.TrimPrefix(gateway, "http://") {
		t.Fatalf("got return to %s, want %s on the gateway", back, original)
	}
	resp, body = b.do(http.MethodGet, back.String(), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got %s for the original page, want 200:\n%s", resp.Status, body)
	}
	return body
}

// stepper sends one request at a time and reads whole responses.
type stepper struct {
	t      *testing.T
	client *http.Client
}

func (b *stepper) do(method, target string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		b.t.Fatalf("%s %s: reading the body: %v", method, target, err)
	}
	return resp, string(data)
}

// redirect checks resp is a redirect with status and returns its absolute Location.
func (b *stepper) redirect(resp *http.Response, status int) *url.URL {
	b.t.Helper()
	if resp.StatusCode != status {
		b.t.Fatalf("%s %s: got %s, want %d", resp.Request.Method, resp.Request.URL, resp.Status, status)
	}
	loc, err := resp.Location()
	if err != nil {
		b.t.Fatalf("%s %s: %v", resp.Request.Method, resp.Request.URL, err)
	}
	return loc
}

func TestDemoRefusesBadArgumentsBeforeStarting(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"public listener", []string{"demo", "--listen", "0.0.0.0:4999"}, "loopback"},
		{"ops listener", []string{"demo", "--listen", "127.0.0.1:0", "--ops-addr", "192.0.2.1:9999"}, "loopback"},
		{"host name", []string{"demo", "--listen", "wandb.example.com:4999"}, "loopback"},
		{"unknown flag", []string{"demo", "--port", "4999"}, "-port"},
		{"unknown sign-in flow", []string{"demo", "--listen", "127.0.0.1:0", "--auth-method", "oauth"}, `--auth-method "oauth"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), c.args, &stdout, &stderr); code != 2 {
				t.Fatalf("got exit code %d, want 2; stderr:\n%s", code, &stderr)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Errorf("got stderr %q, want it to mention %q", &stderr, c.want)
			}
			if strings.Contains(stdout.String(), "Open ") {
				t.Errorf("the banner was printed for a refused address:\n%s", &stdout)
			}
		})
	}
}
