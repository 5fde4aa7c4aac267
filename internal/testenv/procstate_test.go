package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartOIDCProviderStartsASecondWhenTheFirstStalls: a first process that prints a
// warning and then nothing is replaced once the stall timeout passes, and the test gets a
// working provider from the second.
func TestStartOIDCProviderStartsASecondWhenTheFirstStalls(t *testing.T) {
	node := RequireCommand(t, "node", "Node.js 20+ runs the test OIDC provider (apt-get install nodejs npm)")
	bin := t.TempDir()
	stalled := filepath.Join(bin, "stalled")
	// A "node" first on PATH: its first run stalls as the CI runs did, the next runs
	// are the real one.
	script := fmt.Sprintf("#!/bin/sh\nif [ ! -e '%s' ]; then\n  : > '%s'\n  echo 'oidc-provider WARNING: stalling'\n  exec sleep 120\nfi\nexec '%s' \"$@\"\n",
		stalled, stalled, node)
	if err := os.WriteFile(filepath.Join(bin, "node"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	started := time.Now()
	p := StartOIDCProvider(t, ProviderConfig{StallTimeout: 2 * time.Second})
	if _, err := os.Stat(stalled); err != nil {
		t.Fatalf("the first process did not run the stalling node: %v", err)
	}
	if waited := time.Since(started); waited < 2*time.Second {
		t.Errorf("the provider was ready after %v, before the stall timeout: the stalled process was not waited for", waited)
	}
	var disc struct {
		Issuer string `json:"issuer"`
	}
	getJSON(t, p.DiscoveryURL(), &disc)
	if disc.Issuer != p.Issuer {
		t.Errorf("discovery issuer %q, want %q", disc.Issuer, p.Issuer)
	}
}

// TestThreadStatesShowsABlockedProcess: a process asleep in the kernel shows as such,
// with its name; a process that is gone says so instead of failing.
func TestThreadStatesShowsABlockedProcess(t *testing.T) {
	sleep := RequireCommand(t, "sleep", "coreutils")
	cmd := exec.Command(sleep, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// Until the child has become sleep and is asleep in the kernel: a read can fall
	// between the two (state S, no wait function yet).
	asleep := func(s string) bool {
		return strings.Contains(s, " sleep ") && strings.Contains(s, "state S") && !strings.Contains(s, "wchan -")
	}
	var got string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if got = threadStates(cmd.Process.Pid); asleep(got) {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling interval, bounded by the deadline
	}
	if !asleep(got) {
		t.Errorf("threadStates of a sleeping `sleep 60`:\n%s\nwant its name, state S and the kernel function it waits in", got)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if got := threadStates(cmd.Process.Pid); !strings.HasPrefix(got, "(no threads to show") {
		t.Errorf("threadStates of an ended process = %q, want it to say there is nothing to show", got)
	}
}
