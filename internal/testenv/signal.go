package testenv

import (
	"os"
	"testing"
	"time"
)

// Signal sends sig to the gateway process, e.g. syscall.SIGTERM to test a graceful
// shutdown, or fails the test.
func (g *Gateway) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := g.proc.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("testenv: send %v to the gateway (pid %d): %v", sig, g.proc.cmd.Process.Pid, err)
	}
}

// WaitExit waits up to timeout for the gateway to exit and returns its exit code (-1
// when a signal ended it), or fails the test with its log.
func (g *Gateway) WaitExit(t testing.TB, timeout time.Duration) int {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case <-g.proc.done:
		return g.proc.cmd.ProcessState.ExitCode()
	case <-deadline.C:
		t.Fatalf("testenv: the gateway (pid %d) did not exit within %v\n--- log ---\n%s", g.proc.cmd.Process.Pid, timeout, g.proc.Logs())
		return 0
	}
}
