// Package ingress tests the ingress examples in deploy/ (nginx auth_request, Caddy
// forward_auth) as they are shipped: each test renders the example file, runs the real
// Debian nginx or caddy as the test user's own process on loopback, and puts it in front of
// the built ssogate binary (forward-auth mode) against a real OpenID provider
// (oidc-provider via internal/testenv) and an application that echoes the headers it
// receives. The package has only tests.
package ingress

import (
	"os"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// gateway builds the ssogate binary once for every test in the package.
var gateway testenv.Builder

func TestMain(m *testing.M) {
	code := m.Run()
	gateway.Close()
	os.Exit(code)
}
