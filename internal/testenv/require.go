package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// StrictEnv names the variable that turns a missing dependency of a test into a
// failure instead of a skip. CI sets it (.ci/run), so no end-to-end test can pass by
// skipping there.
const StrictEnv = "SSOGATE_E2E_STRICT"

// RealProcesses skips t under `go test -short`: t needs the gateway binary or another
// real process (an IdP under Node.js, redis-server, Chromium, nginx, Caddy), which a
// laptop's unit-test run does without. With StrictEnv set it never skips.
func RealProcesses(t testing.TB, what string) {
	t.Helper()
	if testing.Short() && os.Getenv(StrictEnv) == "" {
		t.Skipf("end-to-end: needs %s; skipped with -short (run without -short, as .ci/run does, to include it)", what)
	}
}

// Missing skips t because a dependency is not installed, naming it and how to install
// it; with StrictEnv set (CI) it fails t instead.
func Missing(t testing.TB, what, install string) {
	t.Helper()
	if os.Getenv(StrictEnv) != "" {
		t.Fatalf("testenv: %s is missing: %s (%s is set, so a missing dependency fails)", what, install, StrictEnv)
	}
	t.Skipf("end-to-end: skipped: %s is missing: %s", what, install)
}

// RequireFile skips (or, with StrictEnv, fails) t unless the program at path, from
// Debian's package pkg, is installed; under -short it skips t as RealProcesses does.
func RequireFile(t testing.TB, path, pkg string) {
	t.Helper()
	RealProcesses(t, path)
	if _, err := os.Stat(path); err != nil {
		Missing(t, path, "install Debian's "+pkg+" package (apt-get install "+pkg+"; .ci/run does)")
	}
}

// RequireCommand is RequireFile for a program found on PATH; it returns its path.
func RequireCommand(t testing.TB, name, install string) string {
	t.Helper()
	RealProcesses(t, name)
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" on PATH", install)
	}
	return path
}
