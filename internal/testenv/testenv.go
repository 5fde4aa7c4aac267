// Package testenv starts the real processes that ssogate's integration tests run against:
// an OpenID Connect provider (panva/oidc-provider under Node.js, from testdata/oidc-provider),
// the gateway binary itself, redis-server (redis.go), and a headless Chromium driven by chromedp.
//
// It also holds what tests share without a process: a sign-in without a browser at either
// test provider (signin.go) and a settable Clock.
//
// It is test support: only test code (_test.go files and test-support packages such as
// session/storetest) may import it. Every process it starts listens on 127.0.0.1 only and
// is stopped by PID in t.Cleanup (SIGTERM, then SIGKILL after a grace period). Waits poll
// with bounded deadlines and fail the test with the process's log.
package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. It comes from
// below the kernel's ephemeral range (ephemeralLow), where the kernel never hands out
// ports on its own: no outgoing connection or port-0 listener of any process can take
// it before the caller binds it. Within a test process the ports follow one sequence
// from a random start (nextPort), so two calls never return the same port; another
// process's sequence starts elsewhere. Prefer letting a child choose port 0 where it
// can.
func FreePort(t testing.TB) int {
	t.Helper()
	span := ephemeralLow() - freePortMin
	nextPort.CompareAndSwap(0, int64(1+rand.IntN(span)))
	for range 100 {
		p := freePortMin + int(nextPort.Add(1)%int64(span))
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // in use
		}
		l.Close()
		return p
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// nextPort is where FreePort's sequence is, in this test process (0: not started).
// It is the package's one piece of shared state: the ports a process has handed out
// but its children may not have bound yet.
var nextPort atomic.Int64

// freePortMin is the lowest port FreePort draws: above the well-known and most
// registered ports services use.
const freePortMin = 10000

// ephemeralLow is the first port of the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range), 32768 when it cannot be read or leaves
// fewer than 1,000 ports below it.
func ephemeralLow() int {
	const fallback = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return fallback
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		return fallback
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low < freePortMin+1000 {
		return fallback
	}
	return low
}

// FreeAddr returns "127.0.0.1:PORT" for a port from FreePort.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}

// RepoRoot returns the directory holding go.mod, found by walking up from the working
// directory (a test's working directory is its package directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := findRepoRoot()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return root
}

// findRepoRoot walks up from the working directory to the directory holding go.mod.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for range 64 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("no go.mod above the working directory")
}

// stopGrace is how long a child gets to exit after SIGTERM before it is killed.
const stopGrace = 5 * time.Second

// logBuffer collects a child's combined output and wakes waiters on every write.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newLogBuffer() *logBuffer {
	return &logBuffer{changed: make(chan struct{})}
}

// Write implements io.Writer.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

// snapshot returns the output so far and a channel closed on the next write.
func (b *logBuffer) snapshot() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String(), b.changed
}

// process is a child process started by a test, stopped by PID in t.Cleanup.
type process struct {
	name string
	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done is closed

	stopOnce sync.Once
	stopped  atomic.Bool // stop or kill was called: an exit after it is no crash
}

// startProcess starts cmd with its stdout and stderr captured, and registers its stop.
func startProcess(t testing.TB, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, logs: newLogBuffer(), done: make(chan struct{})}
	cmd.Stdout = p.logs
	cmd.Stderr = p.logs
	cmd.WaitDelay = time.Second // do not hang on a pipe held open by a grandchild
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		ended := p.exited() && !p.stopped.Load()
		p.stop(t)
		if ended || t.Failed() {
			p.logTail(t, ended)
		}
	})
	return p
}

// noticePrefix starts a log line that CI shows even when the test passes: something
// went wrong around the test and was worked around (tools/testreport looks for it).
const noticePrefix = "testenv notice: "

// lastLine returns the last line of out, trailing newlines aside.
func lastLine(out string) string {
	out = strings.TrimRight(out, "\n")
	return out[strings.LastIndexByte(out, '\n')+1:]
}

// logTailBytes is how much of a process's output a failed test shows.
const logTailBytes = 16 << 10

// logTail logs the end of the process's output, for a failed test or a process that
// ended on its own while the test ran (a crash shows here and nowhere else).
func (p *process) logTail(t testing.TB, ended bool) {
	t.Helper()
	out := p.Logs()
	if len(out) > logTailBytes {
		out = "…" + out[len(out)-logTailBytes:]
	}
	how := "stopped by the test"
	if ended {
		how = fmt.Sprintf("had already ended (%v)", p.err)
	}
	t.Logf("testenv: %s (pid %d) %s; the end of its output:\n%s", p.name, p.cmd.Process.Pid, how, out)
}

// Logs returns everything the process has printed so far (stdout and stderr).
func (p *process) Logs() string {
	s, _ := p.logs.snapshot()
	return s
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitFor waits until match accepts the output, the process exits, or timeout passes.
func (p *process) waitFor(timeout time.Duration, match func(string) bool) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		out, changed := p.logs.snapshot()
		if match(out) {
			return out, nil
		}
		select {
		case <-changed:
		case <-p.done:
			out, _ = p.logs.snapshot()
			if match(out) {
				return out, nil
			}
			return out, fmt.Errorf("%s exited (%v)", p.name, p.err)
		case <-deadline.C:
			return out, fmt.Errorf("%s: timed out after %v", p.name, timeout)
		}
	}
}

// WaitLog waits up to timeout for substring to appear in the output, failing the test if
// it does not.
func (p *process) WaitLog(t testing.TB, substring string, timeout time.Duration) {
	t.Helper()
	out, err := p.waitFor(timeout, func(s string) bool { return strings.Contains(s, substring) })
	if err != nil {
		t.Fatalf("testenv: waiting for %q in the log of %s: %v\n--- log ---\n%s", substring, p.name, err, out)
	}
}

// kill sends SIGKILL and waits for the process to exit. It is safe to call more
// than once, and with stop.
func (p *process) kill(t testing.TB) {
	t.Helper()
	p.stopped.Store(true)
	p.stopOnce.Do(func() {
		if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("testenv: SIGKILL %s (pid %d): %v", p.name, p.cmd.Process.Pid, err)
		}
		<-p.done
	})
}

// stop sends SIGTERM, then SIGKILL if the process is still running after stopGrace.
// It is safe to call more than once.
func (p *process) stop(t testing.TB) {
	t.Helper()
	p.stopped.Store(true)
	p.stopOnce.Do(func() {
		if p.exited() {
			return
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("testenv: SIGTERM %s (pid %d): %v", p.name, p.cmd.Process.Pid, err)
		}
		grace := time.NewTimer(stopGrace)
		defer grace.Stop()
		select {
		case <-p.done:
			return
		case <-grace.C:
		}
		t.Logf("testenv: %s (pid %d) ignored SIGTERM for %v; killing it", p.name, p.cmd.Process.Pid, stopGrace)
		if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("testenv: SIGKILL %s (pid %d): %v", p.name, p.cmd.Process.Pid, err)
		}
		<-p.done
	})
}
