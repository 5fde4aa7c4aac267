package interop

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// dexPasswordHash is bcrypt("password"), the static password of Dex's own examples.
const dexPasswordHash = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"

// dex is a Dex v2.45.1 with memory storage, one static user (alice@example.com,
// password "password") and a public and a confidential client for the gateway at gwAddr.
type dex struct {
	issuer string
	proc   *testenv.External
}

const (
	dexPublicClient = "gw-public"
	dexConfClient   = "gw-confidential"
	dexConfSecret   = "gw-confidential-secret-0123456789"
)

func startDex(t *testing.T, gwAddr string) *dex {
	t.Helper()
	bin := testenv.IdPBinary(t, "dex-v2.45.1", "dex")
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
- email: alice@example.com
  hash: "` + dexPasswordHash + `"
  username: alice
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
`
	path := filepath.Join(t.TempDir(), "dex.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", path)
	cmd.Dir = t.TempDir()
	return &dex{issuer: issuer, proc: testenv.StartExternal(t, "dex", cmd, issuer+"/.well-known/openid-configuration", 60*time.Second)}
}

// TestDexPKCEPublicClient: PKCE with a public client (no secret), Dex's password form.
func TestDexPKCEPublicClient(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d := startDex(t, gwAddr)
	gw := startGateway(t, gwAddr, d.issuer, map[string]string{"OIDC_CLIENT_ID": dexPublicClient, "OIDC_AUTH_METHOD": "pkce"})
	e := formSignIn(t, gw, url.Values{"login": {"alice@example.com"}, "password": {"password"}})
	if e.Email != "alice@example.com" {
		t.Errorf("upstream got %+v, want alice@example.com", e)
	}
}

// TestDexConfidentialClient: the code flow with a client secret (client_secret_basic).
func TestDexConfidentialClient(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d := startDex(t, gwAddr)
	gw := startGateway(t, gwAddr, d.issuer, map[string]string{"OIDC_CLIENT_ID": dexConfClient,
		"OIDC_CLIENT_SECRET": dexConfSecret, "OIDC_AUTH_METHOD": "pkce"})
	e := formSignIn(t, gw, url.Values{"login": {"alice@example.com"}, "password": {"password"}})
	if e.Email != "alice@example.com" {
		t.Errorf("upstream got %+v, want alice@example.com", e)
	}
}

// TestDexNotOffered records, from Dex's own discovery document, the cells of the matrix
// Dex does not offer: no end_session_endpoint (so no RP-initiated, front- or back-channel
// logout) and no form_post response mode (so no implicit form_post).
func TestDexNotOffered(t *testing.T) {
	d := startDex(t, testenv.FreeAddr(t))
	resp, err := http.Get(d.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var disc struct {
		EndSession    string   `json:"end_session_endpoint"`
		ResponseModes []string `json:"response_modes_supported"`
		Backchannel   bool     `json:"backchannel_logout_supported"`
		Frontchannel  bool     `json:"frontchannel_logout_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&disc); err != nil {
		t.Fatal(err)
	}
	if disc.EndSession != "" || disc.Backchannel || disc.Frontchannel || slices.Contains(disc.ResponseModes, "form_post") {
		t.Errorf("Dex now offers %+v: add its logout or form_post cells to the interop matrix", disc)
	}
}
