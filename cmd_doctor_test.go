package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/internal/testidp"
	"github.com/ssogate/ssogate/internal/testidp/idptest"
)

// unixApp serves an application on a Unix socket until the test ends and returns its
// UPSTREAM_URL (unix:///PATH).
func unixApp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "app-") // a socket's path must fit in 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, "app.sock"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "unix://" + ln.Addr().String()
}

// newIdP serves a testidp with opts (Issuer filled in) until the test ends.
func newIdP(t *testing.T, opts testidp.Options) *testidp.Provider {
	t.Helper()
	if opts.Clients == nil {
		opts.Clients = []testidp.Client{{ID: "wandb", RedirectURIs: []string{"http://127.0.0.1:4180/oidc/callback"}}}
	}
	return idptest.Start(t, opts).Provider
}

func TestDoctorCommand(t *testing.T) {
	good := newIdP(t, testidp.Options{})
	noFormPost := newIdP(t, testidp.Options{ResponseModes: []string{"query", "fragment"}})
	redis := testenv.StartRedis(t)
	app := httptest.NewServer(http.RedirectHandler("/login", http.StatusFound))
	t.Cleanup(app.Close)
	socketApp := unixApp(t)
	cases := []struct {
		name     string
		env      map[string]string
		wantCode int
		want     []string
		wantNot  []string
	}{
		{"upstream answers", map[string]string{"OIDC_ISSUER": good.Issuer(), "OIDC_CLIENT_ID": "wandb", "UPSTREAM_URL": app.URL}, 0,
			[]string{"✓ discovery", `✓ upstream: UPSTREAM_URL="` + app.URL + `" answers (HTTP 302)`}, []string{"✗"}},
		{"upstream on a socket", map[string]string{"OIDC_ISSUER": good.Issuer(), "OIDC_CLIENT_ID": "wandb", "UPSTREAM_URL": socketApp}, 0,
			[]string{`✓ upstream: UPSTREAM_URL="` + socketApp + `" answers (HTTP 200)`}, []string{"✗"}},
		{"upstream does not answer", map[string]string{"OIDC_ISSUER": good.Issuer(), "OIDC_CLIENT_ID": "wandb", "UPSTREAM_URL": "http://127.0.0.1:9"}, 1,
			[]string{"✓ discovery", `✗ upstream: UPSTREAM_URL="http://127.0.0.1:9" does not answer:`, "connection refused",
				"UPSTREAM_URL must be the application's address as this machine reaches it"}, nil},
		{"redis answers", map[string]string{"OIDC_ISSUER": good.Issuer(), "OIDC_CLIENT_ID": "wandb", "SESSION_STORE": redis.URL()}, 0,
			[]string{"✓ discovery", `✓ session store: SESSION_STORE="` + redis.URL() + `" answers`}, []string{"✗", "revocation store"}},
		{"redis does not answer", map[string]string{"OIDC_ISSUER": good.Issuer(), "OIDC_CLIENT_ID": "wandb",
			"REVOCATION_STORE": "redis://u:hunter2@127.0.0.1:9/1"}, 1,
			[]string{"✓ discovery", `✗ revocation store: REVOCATION_STORE="redis://u:xxxxx@127.0.0.1:9/1" does not answer:`, "connection refused", "check the address"},
			[]string{"hunter2", "session store"}},
		{"good pkce", map[string]string{"OIDC_ISSUER": good.Issuer(), "OIDC_CLIENT_ID": "wandb", "OIDC_AUTH_METHOD": "pkce"}, 0,
			[]string{"✓ discovery", "✓ auth method", "✓ signing keys", "✓ clock"}, []string{"✗"}},
		{"good implicit", map[string]string{"OIDC_ISSUER": good.Issuer(), "OIDC_CLIENT_ID": "wandb"}, 0,
			[]string{"✓ discovery", "✓ auth method", "OIDC_AUTH_METHOD=implicit"}, []string{"✗"}},
		{"implicit without form_post", map[string]string{"OIDC_ISSUER": noFormPost.Issuer(), "OIDC_CLIENT_ID": "wandb"}, 1,
			[]string{"✓ discovery", "✗ auth method", "form_post", "OIDC_AUTH_METHOD=pkce"}, nil},
		{"no configuration", nil, 1, []string{"✗ configuration", "OIDC_ISSUER", "OIDC_CLIENT_ID"}, []string{"✓"}},
		{"risky setting", map[string]string{"OIDC_ISSUER": good.Issuer(), "OIDC_CLIENT_ID": "wandb", "TRUSTED_PROXIES": "::/0"}, 0,
			[]string{"✓ discovery", `! TRUSTED_PROXIES="::/0": trusts every address`}, []string{"✗"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			setEnv(t, c.env)
			code, stdout, stderr := runArgs(t, "doctor")
			if code != c.wantCode {
				t.Errorf("got exit code %d, want %d; stdout:\n%s\nstderr:\n%s", code, c.wantCode, stdout, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range c.wantNot {
				if strings.Contains(stdout, w) {
					t.Errorf("stdout has %q:\n%s", w, stdout)
				}
			}
		})
	}
}
