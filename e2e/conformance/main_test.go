// Package conformance is the relying-party conformance suite: the built gateway, one
// process per login flow, signs users in at a hostile OpenID provider served in this
// process (internal/testidp, switched per row to mint the defect the row names) in
// front of an upstream that counts what reaches it. Each row is a subtest named after
// the OpenID Foundation RP certification test it models; docs/conformance.md lists
// them with the audit reason each refusal must carry.
package conformance

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// builder builds the gateway binary once for the whole test binary.
var builder testenv.Builder

func TestMain(m *testing.M) { os.Exit(builder.Run(m)) }

// The gateways' client IDs at the hostile IdP, one per login flow.
const (
	codeClient     = "conform-code"
	formPostClient = "conform-form-post"
	user           = "alice" // testidp.DemoUsers: the password is the user name
)

// upstream is the application behind the gateways: it counts requests and answers
// with the user and groups the gateway named.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
}

func startUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"user": r.Header.Get("X-Auth-Request-User"),
			"groups": r.Header.Get("X-Auth-Request-Groups")})
	}))
	t.Cleanup(u.Close)
	return u
}

// suite is the hostile IdP, the upstream and a gateway per flow.
type suite struct {
	idp      *hostileIdP
	up       *upstream
	code     *testenv.Gateway // OIDC_AUTH_METHOD=pkce
	formPost *testenv.Gateway // OIDC_AUTH_METHOD=implicit (form_post)
}

func startSuite(t *testing.T) *suite {
	t.Helper()
	bin := builder.Build(t)
	codeAddr, formPostAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	s := &suite{up: startUpstream(t)}
	s.idp = startHostileIdP(t, map[string]string{
		codeClient:     "http://" + codeAddr + "/oidc/callback",
		formPostClient: "http://" + formPostAddr + "/oidc/callback",
	})
	start := func(addr, client, method string) *testenv.Gateway {
		gw := testenv.StartGateway(t, bin, map[string]string{
			"LISTEN_ADDR": addr, "PUBLIC_URL": "http://" + addr, "UPSTREAM_URL": s.up.URL,
			"OIDC_ISSUER": s.idp.Issuer(), "OIDC_CLIENT_ID": client, "OIDC_AUTH_METHOD": method,
		})
		gw.WaitReady(t, 30*time.Second)
		return gw
	}
	s.code = start(codeAddr, codeClient, "pkce")
	s.formPost = start(formPostAddr, formPostClient, "implicit")
	return s
}
