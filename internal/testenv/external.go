package testenv

import (
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
	if err := pollStatus(readyURL, http.StatusOK, timeout, p.done); err != nil {
		t.Fatalf("testenv: %s did not answer 200 at %s: %v\n%s", name, readyURL, err, p.Logs())
	}
	return &External{p}
}

// Stop stops the provider now (SIGTERM, then SIGKILL after a grace period) and waits
// for it to exit; t.Cleanup would otherwise do it.
func (e *External) Stop(t testing.TB) {
	t.Helper()
	e.stop(t)
}
