// Package redistest runs several ssogate processes against one real Redis, a real
// OpenID provider (oidc-provider under Node.js, or internal/testidp in this process)
// and a headless Chromium: sessions shared by replicas, logout on one replica ending
// the session on all of them (RP-initiated, front-channel and back-channel), a Redis
// outage and its recovery, and token refresh once per session at a time.
package redistest

import (
	"os"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// builder builds the gateway binary once for the whole test binary.
var builder testenv.Builder

func TestMain(m *testing.M) {
	code := m.Run()
	builder.Close()
	os.Exit(code)
}
