package interop

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// dexPasswordHash is bcrypt("password"), the static password of Dex's own examples.
const dexPasswordHash = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"

// dex is a Dex v2.45.1 with memory storage, one static user (alice@example.com,
// password "password", in two groups) and a public and a confidential client for the
// gateway at gwAddr; extra is appended to its configuration file.
type dex struct {
	issuer string
	config string // the path of its configuration file
	proc   *testenv.External
}

const (
	dexPublicClient = "gw-public"
	dexConfClient   = "gw-confidential"
	dexConfSecret   = "gw-confidential-secret-0123456789"
	dexUser         = "alice"
	dexEmail        = "alice@example.com"
	dexGroups       = "ml-team,wandb-admins"
)

// dexScopes asks for Dex's own groups scope: without it Dex puts no groups claim in
// its tokens.
const dexScopes = "openid profile email groups"

// dexLogin is what Dex's password form (sign-in by e-mail) takes.
var dexLogin = url.Values{"login": {dexEmail}, "password": {"password"}}

func startDex(t *testing.T, gwAddr string, extra ...string) *dex {
	t.Helper()
	addr := testenv.FreeAddr(t)
	issuer := "http://" + addr + "/dex"
	redirect := "http://" + gwAddr + "/oidc/callback"
	cfg := `issuer: ` + issuer + `
storage:
  type: memory
web:
  http: ` + addr + `
oauth2:
  skipApprovalScreen: true
enablePasswordDB: true
staticPasswords:
- email: ` + dexEmail + `
  hash: "` + dexPasswordHash + `"
  username: ` + dexUser + `
  preferredUsername: ` + dexUser + `
  groups: [ml-team, wandb-admins]
  userID: 08a8684b-db88-4b73-90a9-3cd1661f5466
staticClients:
- id: ` + dexPublicClient + `
  name: ssogate public
  public: true
  redirectURIs: ["` + redirect + `"]
- id: ` + dexConfClient + `
  name: ssogate confidential
  secret: ` + dexConfSecret + `
  redirectURIs: ["` + redirect + `"]
` + strings.Join(extra, "")
	d := &dex{issuer: issuer, config: filepath.Join(t.TempDir(), "dex.yaml")}
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d.start(t)
	return d
}

// start runs Dex (again, after stop: with empty memory storage and new signing keys).
func (d *dex) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(testenv.IdPBinary(t, "dex-v2.45.1", "dex"), "serve", d.config)
	cmd.Dir = t.TempDir()
	d.proc = testenv.StartExternal(t, "dex", cmd, d.issuer+"/.well-known/openid-configuration", 60*time.Second)
}

// TestDexPKCEPublicClient: PKCE with a public client (no secret), Dex's password form.
func TestDexPKCEPublicClient(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d := startDex(t, gwAddr)
	gw := startGateway(t, gwAddr, d.issuer, map[string]string{"OIDC_CLIENT_ID": dexPublicClient, "OIDC_AUTH_METHOD": "pkce",
		"OIDC_SCOPES": dexScopes})
	wantIdentity(t, formSignIn(t, gw, dexLogin), dexUser, dexEmail, dexGroups)
}

// TestDexConfidentialClient: the code flow with a client secret (client_secret_basic).
func TestDexConfidentialClient(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d := startDex(t, gwAddr)
	gw := startGateway(t, gwAddr, d.issuer, map[string]string{"OIDC_CLIENT_ID": dexConfClient,
		"OIDC_CLIENT_SECRET": dexConfSecret, "OIDC_AUTH_METHOD": "pkce", "OIDC_SCOPES": dexScopes})
	wantIdentity(t, formSignIn(t, gw, dexLogin), dexUser, dexEmail, dexGroups)
}

// TestDexNotOffered records, from Dex's own discovery document, the cells of the matrix
// Dex does not offer: no end_session_endpoint (so no RP-initiated, front- or back-channel
// logout) and no form_post response mode (so no implicit form_post).
func TestDexNotOffered(t *testing.T) {
	d := startDex(t, testenv.FreeAddr(t))
	disc := getDiscovery(t, d.issuer+"/.well-known/openid-configuration")
	if disc.EndSession != "" || disc.Backchannel || disc.Frontchannel || slices.Contains(disc.ResponseModes, "form_post") {
		t.Errorf("Dex now offers %+v: add its logout or form_post cells to the interop matrix", disc)
	}
}

// TestDexRefresh: with offline_access Dex issues a refresh token and rotates it on every
// use (with no expiry.refreshTokens.reuseInterval set, the spent one is refused at once);
// its refresh answer carries a new ID token with the full identity. A pkce session in
// Redis re-validates every REFRESH_INTERVAL: two refreshes in a row succeed, the second
// with the token the first got. Restarted
// with empty memory storage, Dex no longer knows the token and refuses it with 400
// invalid_request (not the invalid_grant of RFC 6749 §5.2): the gateway takes that as a
// refusal too and the session ends.
func TestDexRefresh(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d := startDex(t, gwAddr)
	rds := testenv.StartRedis(t)
	gw := startGateway(t, gwAddr, d.issuer, map[string]string{"OIDC_CLIENT_ID": dexPublicClient, "OIDC_AUTH_METHOD": "pkce",
		"OIDC_SCOPES": dexScopes + " offline_access", "REFRESH_INTERVAL": "1s", "SESSION_STORE": rds.URL()})
	c := testenv.NewClient(t, true)
	wantIdentity(t, formSignInWith(t, c, gw, dexLogin), dexUser, dexEmail, dexGroups)
	rec := refreshCase{gw: gw, c: c, user: dexUser, email: dexEmail, groups: dexGroups, issuer: d.issuer,
		forget: func(t *testing.T) { d.proc.Stop(t); d.start(t) }}.run(t)
	if e, _ := rec["error"].(string); !strings.Contains(e, "invalid_request") {
		t.Errorf("the rejected refresh's audit line has error %q, want Dex's invalid_request", e)
	}
}

// TestDexRefreshExpired: a refresh token older than Dex's
// expiry.refreshTokens.absoluteLifetime is refused, again with 400 invalid_request
// ("Refresh token expired."), and the gateway ends the session at its first refresh.
func TestDexRefreshExpired(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d := startDex(t, gwAddr, "expiry:\n  refreshTokens:\n    absoluteLifetime: 1s\n")
	rds := testenv.StartRedis(t)
	gw := startGateway(t, gwAddr, d.issuer, map[string]string{"OIDC_CLIENT_ID": dexPublicClient, "OIDC_AUTH_METHOD": "pkce",
		"OIDC_SCOPES": dexScopes + " offline_access", "REFRESH_INTERVAL": "2s", "SESSION_STORE": rds.URL()})
	c := testenv.NewClient(t, true)
	wantIdentity(t, formSignInWith(t, c, gw, dexLogin), dexUser, dexEmail, dexGroups)
	rec := refreshCase{gw: gw, c: c, user: dexUser, email: dexEmail, groups: dexGroups, issuer: d.issuer}.wantRefused(t)
	if e, _ := rec["error"].(string); !strings.Contains(e, "invalid_request") || !strings.Contains(e, "expired") {
		t.Errorf("the rejected refresh's audit line has error %q, want Dex's invalid_request for an expired token", e)
	}
	if n := refreshes(gw, "success"); n != 0 {
		t.Errorf("%d refreshes succeeded with a refresh token past its absolute lifetime, want 0", n)
	}
}
