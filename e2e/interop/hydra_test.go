package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// The user of hydraApp (our login, consent and logout app for Hydra) and the client
// secret of the confidential clients registered through Hydra's admin API.
const (
	hydraUser     = "alice"
	hydraPassword = "alice-password"
	hydraSubject  = "user-0001"
	hydraEmail    = "alice@example.com"
	hydraName     = "Alice Example"
	hydraGroups   = "ml-team,wandb-admins"
	hydraSecret   = "gw-confidential-secret-0123456789"
)

// hydraLogin is what hydraApp's password form takes.
var hydraLogin = url.Values{"username": {hydraUser}, "password": {hydraPassword}}

// hydra is a running Ory Hydra v2.3.0 (`hydra serve all --dev`, DSN=memory) whose
// login, consent and logout URLs are app's.
type hydra struct {
	issuer string // the public URL, with its trailing slash
	admin  string // the admin API's base URL
	app    *hydraApp
	proc   *testenv.External
}

// startHydra starts Hydra on two free loopback ports with a new hydraApp. env adds to
// or overrides its configuration (Hydra reads every setting from the environment).
func startHydra(t *testing.T, env ...string) *hydra {
	t.Helper()
	bin := testenv.IdPBinary(t, "hydra-v2.3.0", "hydra")
	pub, adm := testenv.FreeAddr(t), testenv.FreeAddr(t)
	h := &hydra{issuer: "http://" + pub + "/", admin: "http://" + adm}
	h.app = startHydraApp(t, h.admin)
	pubHost, pubPort, _ := strings.Cut(pub, ":")
	admHost, admPort, _ := strings.Cut(adm, ":")
	cmd := exec.Command(bin, "serve", "all", "--dev")
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{
		"HOME=" + cmd.Dir, "PATH=/usr/bin:/bin",
		"DSN=memory",
		"URLS_SELF_ISSUER=" + h.issuer,
		"URLS_LOGIN=" + h.app.URL + "/login",
		"URLS_CONSENT=" + h.app.URL + "/consent",
		"URLS_LOGOUT=" + h.app.URL + "/logout",
		"URLS_POST_LOGOUT_REDIRECT=" + h.app.URL + "/logged-out",
		"SECRETS_SYSTEM=hydra-system-secret-0123456789",
		"SERVE_PUBLIC_HOST=" + pubHost, "SERVE_PUBLIC_PORT=" + pubPort,
		"SERVE_ADMIN_HOST=" + admHost, "SERVE_ADMIN_PORT=" + admPort,
		"SERVE_COOKIES_SAME_SITE_MODE=Lax",
		"SQA_OPT_OUT=true",
		"OAUTH2_HASHERS_PBKDF2_ITERATIONS=1000", // client secrets: the test's clients are throwaway
	}, env...)
	h.proc = testenv.StartExternal(t, "hydra", cmd, h.issuer+".well-known/openid-configuration", 60*time.Second)
	return h
}

// hydraClients are the OAuth 2.0 clients registered at Hydra for one gateway.
type hydraClients struct {
	public, confidential, implicit string
}

// hydraClientOptions choose what registerClients gives every client: where Hydra sends
// back-channel logout tokens ("" for nowhere; "gateway" for the gateway's own
// /oidc/backchannel-logout, with hydraGateway) and whether it has a front-channel
// logout URI (the gateway's /logout, which Hydra calls with iss and sid).
type hydraClientOptions struct {
	backchannel  string
	frontchannel bool
}

// registerClients registers, through Hydra's admin API (POST /admin/clients), a public
// PKCE client, a confidential client (client_secret_basic) and an implicit client
// (response type id_token, for form_post) for the gateway at gwAddr: its redirect URI
// /oidc/callback, post-logout redirect URI /, and the logout URIs of opts. Their IDs
// end with the gateway's port, so one Hydra serves several gateways.
func (h *hydra) registerClients(t *testing.T, gwAddr string, opts hydraClientOptions) hydraClients {
	t.Helper()
	_, port, _ := strings.Cut(gwAddr, ":")
	cs := hydraClients{public: "gw-public-" + port, confidential: "gw-confidential-" + port, implicit: "gw-implicit-" + port}
	code := map[string]any{"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"}}
	h.registerClient(t, cs.public, gwAddr, opts, code, map[string]any{"token_endpoint_auth_method": "none"})
	h.registerClient(t, cs.confidential, gwAddr, opts, code,
		map[string]any{"token_endpoint_auth_method": "client_secret_basic", "client_secret": hydraSecret})
	h.registerClient(t, cs.implicit, gwAddr, opts, hydraImplicitClient)
	return cs
}

// hydraImplicitClient is what makes a Hydra client an implicit one (response type
// id_token, no secret).
var hydraImplicitClient = map[string]any{"grant_types": []string{"implicit"}, "response_types": []string{"id_token"},
	"token_endpoint_auth_method": "none"}

// registerClient registers the client id for the gateway at gwAddr with the fields of
// extra on top of the common ones.
func (h *hydra) registerClient(t *testing.T, id, gwAddr string, opts hydraClientOptions, extra ...map[string]any) {
	t.Helper()
	gw := "http://" + gwAddr
	c := map[string]any{
		"client_id": id, "client_name": "ssogate " + id,
		"redirect_uris":             []string{gw + "/oidc/callback"},
		"post_logout_redirect_uris": []string{gw + "/"},
		"scope":                     "openid offline_access offline profile email groups",
		"skip_consent":              false,
	}
	if opts.backchannel != "" {
		c["backchannel_logout_uri"], c["backchannel_logout_session_required"] = opts.backchannel, true
	}
	if opts.frontchannel {
		c["frontchannel_logout_uri"], c["frontchannel_logout_session_required"] = gw+"/logout", true
	}
	for _, e := range extra {
		for k, v := range e {
			c[k] = v
		}
	}
	var created map[string]any
	hydraAdmin(t, http.MethodPost, h.admin+"/admin/clients", c, http.StatusCreated, &created)
	if created["client_id"] != id {
		t.Fatalf("Hydra registered client %v, want %s", created["client_id"], id)
	}
}

// hydraAdmin calls Hydra's admin API: method at u with body as JSON (none when nil),
// fails t unless the answer has status want, and decodes the answer into out (when
// not nil).
func hydraAdmin(t testing.TB, method, u string, body any, want int, out any) {
	t.Helper()
	if err := hydraAdminCall(method, u, body, want, out); err != nil {
		t.Fatal(err)
	}
}

// hydraAdminCall is hydraAdmin returning its error (for the app's handlers).
func hydraAdminCall(method, u string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != want {
		return fmt.Errorf("Hydra admin API %s %s: status %d, want %d: %s", method, u, resp.StatusCode, want, raw)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}
