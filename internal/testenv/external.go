package testenv

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// External is a third-party server (an OpenID provider of the interop matrix) that a
// test started as a process; it is stopped by PID in t.Cleanup.
type External struct {
	*process
}

// IdPCache is where .ci/idps.sh caches the interop providers' binaries:
// $SSOGATE_IDP_CACHE, else $HOME/.cache/ssogate-idps.
func IdPCache() string {
	if dir := os.Getenv("SSOGATE_IDP_CACHE"); dir != "" {
		return dir
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "ssogate-idps")
}

// IdPBinary returns the path of a provider binary .ci/idps.sh built (for example
// "dex-v2.45.1", "dex"). Under -short it skips t as RealProcesses does; a binary not
// built skips t naming the command to run (Missing: with StrictEnv, as in CI, it fails).
func IdPBinary(t testing.TB, dir, name string) string {
	t.Helper()
	RealProcesses(t, name)
	bin := filepath.Join(IdPCache(), dir, name)
	if _, err := os.Stat(bin); err != nil {
		Missing(t, bin, "build it with .ci/idps.sh (.ci/run does)")
	}
	return bin
}

// StartExternal starts cmd, named name in messages, and waits until readyURL answers
// 200 within timeout.
func StartExternal(t testing.TB, name string, cmd *exec.Cmd, readyURL string, timeout time.Duration) *External {
	t.Helper()
	p := startProcess(t, name, cmd)
	// One check at a time, each allowed until the deadline: a provider that does slow
	// work on its first request (Hydra generates its signing key then) must not get a
	// second request while the first is running. Hydra with DSN=memory fails both
	// when two of them generate the key at once, and keeps failing while checks that
	// gave up early are retried.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for ctx.Err() == nil {
		if p.exited() {
			t.Fatalf("testenv: %s exited before it was ready\n%s", name, p.Logs())
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
		if err != nil {
			t.Fatalf("testenv: %s: ready URL %q: %v", name, readyURL, err)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &External{p}
			}
		}
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
	t.Fatalf("testenv: %s did not answer 200 at %s within %v\n%s", name, readyURL, timeout, p.Logs())
	return nil
}

// Stop stops the provider now (SIGTERM, then SIGKILL after a grace period) and waits
// for it to exit; t.Cleanup would otherwise do it.
func (e *External) Stop(t testing.TB) {
	t.Helper()
	e.stop(t)
}
