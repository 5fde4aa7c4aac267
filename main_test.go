package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// designSettings are the variables DESIGN §2 names, which users and scripts rely on.
func designSettings() []string {
	return []string{
		"OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "GORILLA_OIDC_SECRET", "OIDC_AUTH_METHOD",
		"LOCAL_RESTORE", "UPSTREAM_URL", "PUBLIC_URL", "LISTEN_ADDR", "OPS_ADDR", "TLS_CERT_FILE",
		"TLS_KEY_FILE", "OIDC_SCOPES", "OIDC_GROUPS_CLAIM", "OIDC_USERNAME_CLAIM", "ALLOWED_GROUPS",
		"ALLOWED_EMAIL_DOMAINS", "ROLE_MAP", "DEFAULT_ROLE", "COOKIE_SECRET", "SIGNING_KEY_FILE",
		"SESSION_STORE", "SESSION_LENGTH", "TRUSTED_PROXIES", "API_KEY_PASSTHROUGH", "DATA_DIR",
		"SIGNING_KEY_PREVIOUS_FILE", "ASSERTION_AUDIENCE", "ALLOWED_REDIRECT_DOMAINS", "OIDC_LOGOUT_URL",
		"REFRESH_INTERVAL", "LOG_LEVEL", "LOG_FORMAT",
	}
}

// setEnv gives the process exactly the settings in env: every other setting is empty,
// which counts as unset, and DATA_DIR is a fresh directory unless env names one.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range designSettings() {
		t.Setenv(name, "")
		t.Setenv(name+"_FILE", "")
	}
	t.Setenv("DATA_DIR", t.TempDir())
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersionPrintsTheVersion(t *testing.T) {
	code, stdout, _ := runArgs(t, "version")
	if code != 0 || stdout != "ssogate dev\n" {
		t.Errorf("got %d %q, want 0 %q", code, stdout, "ssogate dev\n")
	}
}

func TestHelpDocumentsEverySetting(t *testing.T) {
	setEnv(t, nil)
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"serve", "--help"}, {"doctor", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runArgs(t, args...)
			if code != 0 {
				t.Fatalf("got exit code %d, want 0; stderr:\n%s", code, stderr)
			}
			for _, name := range designSettings() {
				if !strings.Contains(stdout, name) {
					t.Errorf("the usage does not document %s", name)
				}
			}
		})
	}
}

func TestUnknownCommandNamesTheCommands(t *testing.T) {
	code, stdout, stderr := runArgs(t, "sreve")
	if code != 2 {
		t.Errorf("got exit code %d, want 2", code)
	}
	for _, want := range []string{`"sreve"`, "serve", "demo", "doctor", "version"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("got stderr %q, want it to name %s", stderr, want)
		}
	}
	if stdout != "" {
		t.Errorf("got stdout %q, want nothing", stdout)
	}
}

func TestServeReportsEveryProblemAndNoSecret(t *testing.T) {
	setEnv(t, map[string]string{
		"OIDC_AUTH_METHOD":   "oauth",
		"UPSTREAM_URL":       "wandb:8080",
		"OIDC_CLIENT_SECRET": "topsecretvalue",
	})
	code, stdout, stderr := runArgs(t, "serve")
	if code != 2 {
		t.Errorf("got exit code %d, want 2", code)
	}
	for _, want := range []string{"nothing was started", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_AUTH_METHOD", `"oauth"`, "UPSTREAM_URL", "wandb:8080"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stdout+stderr, "topsecretvalue") {
		t.Errorf("the client secret was printed:\nstdout: %s\nstderr: %s", stdout, stderr)
	}
	if stdout != "" {
		t.Errorf("got stdout %q, want nothing: the gateway must not have started", stdout)
	}
}

// TestServeReportsBadRedisURLs: a Redis URL go-redis would refuse (or panic on) is a
// problem of the configuration like any other: named with its setting, its password
// hidden, before anything starts, and once even when the configuration's own check
// already refused the setting.
func TestServeReportsBadRedisURLs(t *testing.T) {
	base := map[string]string{
		"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "wandb", "UPSTREAM_URL": "http://127.0.0.1:9",
		"PUBLIC_URL": "http://127.0.0.1:4180", "COOKIE_SECRET": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"SESSION_STORE": "", "REVOCATION_STORE": "",
	}
	cases := []struct {
		name  string
		env   map[string]string
		want  []string
		lines int // problem lines in the report
	}{
		{"negative pool size", map[string]string{"SESSION_STORE": "redis://u:hunter2@127.0.0.1:9/0?pool_size=-1"},
			[]string{`SESSION_STORE="redis://u:xxxxx@127.0.0.1:9/0?pool_size=-1": has pool_size=-1: it must be from 0`}, 1},
		{"revocation store option", map[string]string{"REVOCATION_STORE": "redis://127.0.0.1:9/1?foo=bar"},
			[]string{`REVOCATION_STORE="redis://127.0.0.1:9/1?foo=bar": redis: unexpected option: foo (docs/sessions.md`}, 1},
		{"cluster over a socket", map[string]string{"SESSION_STORE": "unix:///run/redis.sock?cluster=true"},
			[]string{`SESSION_STORE="unix:///run/redis.sock?cluster=true": names a Redis Cluster over a Unix socket`}, 1},
		{"both, one already refused", map[string]string{
			"SESSION_STORE":    "redis://node1:6379/2?cluster=true",
			"REVOCATION_STORE": "redis://node1:6379?cluster=yes",
		}, []string{
			`SESSION_STORE="redis://node1:6379/2?cluster=true": names database 2, but a Redis Cluster has only database 0`,
			`REVOCATION_STORE="redis://node1:6379?cluster=yes": is only for SESSION_STORE=cookie`,
		}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := maps.Clone(base)
			maps.Copy(env, c.env)
			setEnv(t, env)
			code, stdout, stderr := runArgs(t, "serve")
			if code != 2 || stdout != "" {
				t.Errorf("got exit code %d and stdout %q, want 2 and nothing started", code, stdout)
			}
			for _, w := range append(c.want, "nothing was started") {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if n := strings.Count(stderr, "\n  "); n != c.lines {
				t.Errorf("the report has %d problems, want %d:\n%s", n, c.lines, stderr)
			}
			if strings.Contains(stderr, "hunter2") {
				t.Errorf("the Redis password was printed:\n%s", stderr)
			}
			code, stdout, _ = runArgs(t, "doctor")
			if code != 1 || !strings.Contains(stdout, "✗ configuration") || !strings.Contains(stdout, c.want[0]) {
				t.Errorf("doctor: exit code %d, want 1 and the problem:\n%s", code, stdout)
			}
		})
	}
}

// TestSigningKeyProblemsNameTheSetting: a signing key that cannot be read or kept
// stops the gateway with the setting to fix, before it listens.
func TestSigningKeyProblemsNameTheSetting(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"missing key file", map[string]string{"SIGNING_KEY_FILE": "/nonexistent/key.pem"},
			`SIGNING_KEY_FILE=\"/nonexistent/key.pem\": assertion: read signing key: open /nonexistent/key.pem: no such file or directory`},
		{"data dir is a file", map[string]string{"DATA_DIR": notADir},
			`the signing key in DATA_DIR=\"` + notADir + `\": assertion: read signing key: open ` + notADir + `/signing_key.pem: not a directory; make DATA_DIR a directory the gateway can write`},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{
				"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "wandb", "UPSTREAM_URL": "http://127.0.0.1:9",
				"PUBLIC_URL": "http://127.0.0.1:4180", "COOKIE_SECRET": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
				"LISTEN_ADDR": "127.0.0.1:4180", "OPS_ADDR": "127.0.0.1:9090",
			}
			maps.Copy(env, c.env)
			setEnv(t, env)
			// The gateway stops before it listens; were it to start, it stops here.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			code := run(ctx, []string{"serve"}, &stdout, &stderr)
			if code != 1 || !strings.Contains(stdout.String(), c.want) {
				t.Errorf("got exit code %d and output:\n%s%s\nwant 1 and %s", code, stdout.String(), stderr.String(), c.want)
			}
		})
	}
}

// TestCheckGOGC: the Go runtime reads a GOGC it cannot parse as 100 and says
// nothing; the gateway refuses it with the configuration's problems.
func TestCheckGOGC(t *testing.T) {
	for _, v := range []string{"", "off", "200", "50", "-1"} {
		if err := checkGOGC(func(string) (string, bool) { return v, true }); err != nil {
			t.Errorf("GOGC=%q: %v, want accepted", v, err)
		}
	}
	for _, v := range []string{"abc", "200%", "1e3", "99999999999"} {
		err := checkGOGC(func(string) (string, bool) { return v, true })
		if want := `GOGC="` + v + `": must be a whole number`; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("GOGC=%q: %v, want %s…", v, err, want)
		}
	}
	setEnv(t, map[string]string{"GOGC": "lots"})
	if code, stdout, stderr := runArgs(t, "serve"); code != 2 || stdout != "" || !strings.Contains(stderr, `GOGC="lots"`) {
		t.Errorf("serve with GOGC=lots: exit code %d, stdout %q, stderr:\n%s\nwant 2 and the problem", code, stdout, stderr)
	}
}

// TestRisksAreLoggedAtStart: a setting that works but leaves the gateway exposed
// does not stop it; it is a warning once the gateway has started.
func TestRisksAreLoggedAtStart(t *testing.T) {
	setEnv(t, map[string]string{
		"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "wandb", "UPSTREAM_URL": "http://127.0.0.1:9",
		"PUBLIC_URL": "http://127.0.0.1:4180", "COOKIE_SECRET": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"LISTEN_ADDR": "127.0.0.1:0", "OPS_ADDR": "127.0.0.2:0", "TRUSTED_PROXIES": "10.0.0.0/8,0.0.0.0/0",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, outWriter := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve"}, outWriter, &stderr)
		outWriter.Close()
	}()
	var started bool
	var risk map[string]any
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		var rec map[string]any
		if json.Unmarshal(lines.Bytes(), &rec) != nil {
			continue
		}
		switch rec["msg"] {
		case "ssogate started":
			started = true
		case "setting leaves the gateway exposed":
			risk = rec
			cancel() // seen: stop the gateway
		}
	}
	if c := <-code; c != 0 {
		t.Errorf("serve exited with %d, want 0 after its context ended; stderr:\n%s", c, stderr.String())
	}
	if !started || risk == nil {
		t.Fatalf("started %v, risk %v: want the start-up line and the warning", started, risk)
	}
	if risk["level"] != "WARN" || risk["setting"] != "TRUSTED_PROXIES" || risk["value"] != "0.0.0.0/0" ||
		!strings.HasPrefix(risk["risk"].(string), "trusts every address") {
		t.Errorf("warning %v, want level WARN, setting TRUSTED_PROXIES, value 0.0.0.0/0 and the risk", risk)
	}
}
