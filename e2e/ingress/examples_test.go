package ingress

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// Where Debian installs the ingress servers (.ci/run installs both packages).
const (
	nginxPath = "/usr/sbin/nginx"
	caddyPath = "/usr/bin/caddy"
)

const (
	serverStartTimeout = 15 * time.Second
	serverStopGrace    = 5 * time.Second
)

// ingressAddrs are the addresses an ingress example is rendered with.
type ingressAddrs struct {
	listen   string // host:port the ingress listens on
	gateway  string // host:port of ssogate
	upstream string // host:port of the application
}

// startNginx runs nginx with deploy/nginx/ssogate.conf.template rendered with a.
func startNginx(t *testing.T, a ingressAddrs) *server {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "deploy", "nginx", "ssogate.conf.template"))
	if err != nil {
		t.Fatalf("read the nginx example: %v", err)
	}
	site := renderEnvsubst(t, string(tmpl), map[string]string{
		"LISTEN": a.listen, "SSOGATE_ADDR": a.gateway, "UPSTREAM_ADDR": a.upstream})
	return runNginx(t, site, a.listen)
}

// runNginx runs nginx with site (its server blocks) included from a minimal nginx.conf
// whose pid, logs and temporary files live in t.TempDir(), in the foreground until the
// test ends, and waits until it listens on listen.
func runNginx(t *testing.T, site, listen string) *server {
	t.Helper()
	requireBinary(t, nginxPath, "nginx-light")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ssogate.conf"), site)

	var main strings.Builder
	fmt.Fprintf(&main, "daemon off;\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log info;\n", dir, dir)
	if u, err := user.Current(); err == nil && os.Geteuid() == 0 {
		// As root nginx would run its workers as nobody, who cannot enter t.TempDir().
		fmt.Fprintf(&main, "user %s;\n", u.Username)
	}
	main.WriteString("events { worker_connections 128; }\nhttp {\n")
	fmt.Fprintf(&main, "    access_log %s/access.log;\n", dir)
	for _, p := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&main, "    %s_temp_path %s/%s;\n", p, dir, p)
	}
	fmt.Fprintf(&main, "    include %s/ssogate.conf;\n}\n", dir)
	conf := filepath.Join(dir, "nginx.conf")
	writeFile(t, conf, main.String())

	cmd := exec.Command(nginxPath, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	s := startServer(t, "nginx", cmd, listen)
	s.logFile = filepath.Join(dir, "error.log")
	return s
}

// startCaddy runs deploy/caddy/Caddyfile as it is, with its environment placeholders
// set to a, the admin endpoint off and Caddy's home and data in t.TempDir().
func startCaddy(t *testing.T, a ingressAddrs) *server {
	t.Helper()
	requireBinary(t, caddyPath, "caddy")
	dir := t.TempDir()
	file := filepath.Join(testenv.RepoRoot(t), "deploy", "caddy", "Caddyfile")
	cmd := exec.Command(caddyPath, "run", "--config", file, "--adapter", "caddyfile")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"SITE_ADDRESS=http://" + a.listen, "SSOGATE_ADDR=" + a.gateway, "UPSTREAM_ADDR=" + a.upstream,
		"CADDY_ADMIN=off"}
	return startServer(t, "caddy", cmd, a.listen)
}

// renderEnvsubst replaces ${NAME} for each name in vars, as envsubst with an explicit
// variable list does, and fails the test if a ${...} placeholder is left.
func renderEnvsubst(t *testing.T, text string, vars map[string]string) string {
	t.Helper()
	for k, v := range vars {
		text = strings.ReplaceAll(text, "${"+k+"}", v)
	}
	for line := range strings.SplitSeq(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.Contains(line, "${") {
			t.Fatalf("placeholder left after rendering: %q", line)
		}
	}
	return text
}

func requireBinary(t *testing.T, path, pkg string) {
	t.Helper()
	testenv.RequireFile(t, path, pkg)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// server is an ingress process started by a test and stopped by PID when it ends.
type server struct {
	name    string
	cmd     *exec.Cmd
	out     *syncBuffer
	logFile string // a log file besides stdout and stderr, if any
	done    chan struct{}
}

// startServer starts cmd, waits until addr accepts connections, and stops the process
// (SIGTERM, then SIGKILL) in t.Cleanup.
func startServer(t *testing.T, name string, cmd *exec.Cmd, addr string) *server {
	t.Helper()
	s := &server{name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.Now().Add(serverStartTimeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("%s exited before listening on %s:\n%s", name, addr, s.logs())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s within %v: %v\n%s", name, addr, serverStartTimeout, err, s.logs())
		}
	}
}

// logs returns the process's output and its log file.
func (s *server) logs() string {
	out := s.out.String()
	if s.logFile != "" {
		if b, err := os.ReadFile(s.logFile); err == nil {
			out += "\n--- " + filepath.Base(s.logFile) + " ---\n" + string(b)
		}
	}
	return out
}

func (s *server) stop(t *testing.T) {
	select {
	case <-s.done:
		return
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("SIGTERM %s (pid %d): %v", s.name, s.cmd.Process.Pid, err)
	}
	select {
	case <-s.done:
	case <-time.After(serverStopGrace):
		t.Logf("%s (pid %d) ignored SIGTERM for %v; killing it", s.name, s.cmd.Process.Pid, serverStopGrace)
		s.cmd.Process.Kill()
		<-s.done
	}
	if t.Failed() {
		t.Logf("%s output:\n%s", s.name, s.logs())
	}
}

// syncBuffer is a bytes.Buffer safe for a process's writes and the test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// identityHeaders returns the headers ssogate sets on a 200 from /oidc/auth (DESIGN §5).
func identityHeaders() []string {
	return []string{"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups",
		"X-Auth-Request-Role", "X-Auth-Request-Assertion"}
}

// TestTraefikExample checks deploy/traefik/dynamic.yml without Traefik, which Debian does
// not ship: its forwardAuth middleware asks /oidc/auth?redirect=true, copies every identity
// header, and its authResponseHeadersRegex, which Traefik compiles with Go's regexp and
// matches against Go's canonical request header names to delete client copies, matches
// every forged spelling and nothing else.
func TestTraefikExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "deploy", "traefik", "dynamic.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if got, want := yamlField(t, text, "address"), "http://ssogate:4180/oidc/auth?redirect=true"; got != want {
		t.Errorf("forwardAuth address: got %q, want %q", got, want)
	}
	if got := yamlField(t, text, "trustForwardHeader"); got != "true" {
		t.Errorf("trustForwardHeader: got %q, want true", got)
	}
	if got := yamlList(text, "authResponseHeaders"); !slices.Equal(got, identityHeaders()) {
		t.Errorf("authResponseHeaders: got %q, want %q", got, identityHeaders())
	}
	re, err := regexp.Compile(yamlField(t, text, "authResponseHeadersRegex"))
	if err != nil {
		t.Fatalf("authResponseHeadersRegex: %v", err)
	}
	for _, name := range append(slices.Collect(maps.Keys(forged())), identityHeaders()...) {
		if key := http.CanonicalHeaderKey(name); !re.MatchString(key) {
			t.Errorf("authResponseHeadersRegex %q does not match %s (sent as %s): a client copy would reach the application", re, key, name)
		}
	}
	for _, name := range []string{"Authorization", "Cookie", "X-Forwarded-For", "X-Auth-Token", "X-Authrequest-User"} {
		if re.MatchString(name) {
			t.Errorf("authResponseHeadersRegex %q matches %s, which is not ssogate's to set", re, name)
		}
	}
}

// yamlField returns the value of the only line "key: value" (unquoted) in text.
func yamlField(t *testing.T, text, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*`+regexp.QuoteMeta(key)+`:\s*(.*?)\s*$`).FindAllStringSubmatch(text, -1)
	if len(m) != 1 {
		t.Fatalf("want one %q field, found %d", key, len(m))
	}
	return strings.Trim(m[0][1], `"`)
}

// yamlList returns the block list "key:\n  - a\n  - b" under key, skipping comments.
func yamlList(text, key string) []string {
	var out []string
	in := false
	for line := range strings.SplitSeq(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == key+":":
			in = true
		case !in || strings.HasPrefix(trimmed, "#"):
		case strings.HasPrefix(trimmed, "- "):
			out = append(out, strings.TrimSpace(strings.TrimPrefix(trimmed, "- ")))
		default:
			return out
		}
	}
	return out
}
