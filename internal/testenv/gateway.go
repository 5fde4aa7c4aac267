package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	gatewayStartTimeout = 90 * time.Second // an upper bound, for a busy machine
	gatewayRunTimeout   = 2 * time.Minute
	pollInterval        = 50 * time.Millisecond
)

// Gateway is a running gateway process.
type Gateway struct {
	URL    string            // public listener, http://127.0.0.1:PORT (https with TLS_CERT_FILE)
	OpsURL string            // ops listener, http://127.0.0.1:PORT
	Env    map[string]string // the environment it was started with, defaults filled in

	proc *process
}

// StartGateway starts bin (with args, e.g. "demo") with only env plus PATH and HOME, waits
// until OpsURL/healthz answers 200, and stops it by PID in t.Cleanup. Missing LISTEN_ADDR
// and OPS_ADDR get free 127.0.0.1 ports and a missing DATA_DIR gets t.TempDir(); g.Env holds
// the result, so StartGateway(t, bin, g.Env) after g.Stop(t) restarts it on the same ports
// and data. The process runs in an empty temporary working directory.
func StartGateway(t testing.TB, bin string, env map[string]string, args ...string) *Gateway {
	t.Helper()
	RealProcesses(t, "the gateway binary")
	env = maps.Clone(env)
	if env == nil {
		env = map[string]string{}
	}
	for _, key := range []string{"LISTEN_ADDR", "OPS_ADDR"} {
		if env[key] == "" {
			env[key] = FreeAddr(t)
		}
	}
	if env["DATA_DIR"] == "" {
		env["DATA_DIR"] = t.TempDir()
	}
	g := &Gateway{
		URL:    "http://" + dialAddr(env["LISTEN_ADDR"]),
		OpsURL: "http://" + dialAddr(env["OPS_ADDR"]),
		Env:    env,
	}
	if env["TLS_CERT_FILE"] != "" {
		g.URL = "https://" + dialAddr(env["LISTEN_ADDR"])
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = processEnv(env)
	g.proc = startProcess(t, "gateway", cmd)
	if err := pollStatus(g.OpsURL+"/healthz", http.StatusOK, gatewayStartTimeout, g.proc.done); err != nil {
		t.Fatalf("testenv: the gateway did not become healthy: %v\n--- log ---\n%s", err, g.proc.Logs())
	}
	return g
}

// WaitReady waits up to timeout for OpsURL/readyz to answer 200, or fails the test.
func (g *Gateway) WaitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	if err := pollStatus(g.OpsURL+"/readyz", http.StatusOK, timeout, g.proc.done); err != nil {
		t.Fatalf("testenv: the gateway did not become ready: %v\n--- log ---\n%s", err, g.proc.Logs())
	}
}

// Logs returns everything the gateway printed so far (stdout and stderr interleaved).
func (g *Gateway) Logs() string { return g.proc.Logs() }

// WaitLog waits up to timeout for substring in the gateway's log, or fails the test.
func (g *Gateway) WaitLog(t testing.TB, substring string, timeout time.Duration) {
	t.Helper()
	g.proc.WaitLog(t, substring, timeout)
}

// LogRecords returns the JSON lines of logs (a process's output, such as Gateway.Logs),
// decoded, that match accepts.
func LogRecords(logs string, match func(rec map[string]any) bool) []map[string]any {
	var out []map[string]any
	for line := range strings.SplitSeq(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && match(rec) {
			out = append(out, rec)
		}
	}
	return out
}

// WaitLogRecords waits up to timeout until n of the gateway's JSON log lines match and
// returns every line that does, or fails the test naming what it waited for. (The
// process's output reaches the test through a pipe, shortly after the response.)
func (g *Gateway) WaitLogRecords(t testing.TB, what string, n int, timeout time.Duration, match func(rec map[string]any) bool) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		recs := LogRecords(g.Logs(), match)
		if len(recs) >= n {
			return recs
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: %d of %d log lines with %s within %v\n--- gateway log ---\n%s", len(recs), n, what, timeout, g.Logs())
		}
		time.Sleep(pollInterval)
	}
}

// Stop stops the gateway now: SIGTERM, then SIGKILL if it has not exited in 5 seconds.
func (g *Gateway) Stop(t testing.TB) {
	t.Helper()
	g.proc.stop(t)
}

// RunGateway runs bin with args (e.g. "version", "doctor") and only env plus PATH and HOME
// to completion, bounded by two minutes, and returns its combined output and exit code.
// It is also the way to test a start-up that must fail (a bad configuration).
func RunGateway(t testing.TB, bin string, env map[string]string, args ...string) (output string, exitCode int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gatewayRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = processEnv(env)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("testenv: %s %v did not finish in %v\n--- output ---\n%s", bin, args, gatewayRunTimeout, out)
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	case err != nil:
		t.Fatalf("testenv: run %s %v: %v", bin, args, err)
	}
	return string(out), 0
}

// processEnv is env as KEY=VALUE pairs, sorted, after PATH and HOME from this process.
func processEnv(env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// dialAddr turns a listen address such as ":4180" into one a client can dial.
func dialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// pollStatus GETs url every pollInterval until it answers want, exited is closed, or
// timeout passes. One request runs at a time, each allowed until the deadline: a
// process that does slow work on its first request (Hydra creates its signing key
// then) never gets a second while the first runs. Hydra with DSN=memory fails both
// when two of them create the key at once, and kept failing while checks that gave
// up after 2 s were retried.
func pollStatus(url string, want int, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-exited:
			return fmt.Errorf("the process exited; last check: %v", last)
		case <-ctx.Done():
			return fmt.Errorf("timed out after %v; last check: %v", timeout, last)
		case <-tick.C:
		}
	}
}

// buildTimeout bounds one `go build` of the gateway.
const buildTimeout = 10 * time.Minute

// Builder builds the gateway binary at most once and hands every caller the same path.
// The zero value is ready to use. A test package with several gateway tests keeps one
// Builder for the whole test binary, owned by TestMain, which removes the binary after
// the tests through Run:
//
//	var gateway testenv.Builder
//
//	func TestMain(m *testing.M) { os.Exit(gateway.Run(m)) }
//
// and each test calls bin := gateway.Build(t). A Builder with Tags builds with those
// build tags (go build -tags), e.g. "testclock" for a gateway whose session clock a
// GatewayClock moves.
type Builder struct {
	Tags string // comma-separated build tags; none when empty

	once sync.Once
	dir  string
	bin  string
	err  error
}

// Build returns the path of the gateway binary, building it on the first call. A failed
// build fails this and every later caller with the compiler's output.
func (b *Builder) Build(t testing.TB) string {
	t.Helper()
	RealProcesses(t, "the gateway binary")
	b.once.Do(func() {
		root, err := findRepoRoot()
		if err != nil {
			b.err = err
			return
		}
		b.dir, b.err = os.MkdirTemp("", "ssogate-build-")
		if b.err != nil {
			return
		}
		b.bin = filepath.Join(b.dir, "ssogate")
		b.err = goBuild(root, ".", b.bin, b.Tags)
	})
	if b.err != nil {
		t.Fatalf("testenv: build the gateway: %v", b.err)
	}
	return b.bin
}

// Run runs the test binary's tests, then removes the built binary, and returns the
// exit code for os.Exit.
func (b *Builder) Run(m *testing.M) int {
	defer b.Close()
	return m.Run()
}

// Close removes the built binary. It is safe to call when nothing was built.
func (b *Builder) Close() error {
	if b.dir == "" {
		return nil
	}
	return os.RemoveAll(b.dir)
}

// BuildGateway builds the gateway (`go build -o <tmp>/ssogate .` at the repository root)
// into t.TempDir() and returns its path. Each call links a fresh binary (compilation is
// cached by Go); use a Builder to build once per test binary.
func BuildGateway(t testing.TB) string {
	t.Helper()
	RealProcesses(t, "the gateway binary")
	bin := filepath.Join(t.TempDir(), "ssogate")
	if err := goBuild(RepoRoot(t), ".", bin, ""); err != nil {
		t.Fatalf("testenv: build the gateway: %v", err)
	}
	return bin
}

// goBuild runs `go build -o out pkg` (with -tags tags when not empty) in dir with
// the caller's Go environment.
func goBuild(dir, pkg, out, tags string) error {
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	args := []string{"build", "-o", out}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = dir
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s in %s: %v\n%s", strings.Join(cmd.Args[1:], " "), dir, err, output)
	}
	return nil
}
