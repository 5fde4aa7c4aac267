package interop

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// hydraGateway registers Hydra's clients for a gateway on a free address, then starts
// that gateway signing in as the client pick chooses, with env's settings on top. A
// back-channel URI of "gateway" in opts becomes that gateway's /oidc/backchannel-logout.
func hydraGateway(t *testing.T, h *hydra, opts hydraClientOptions, pick func(hydraClients) map[string]string, env map[string]string) (*testenv.Gateway, hydraClients) {
	t.Helper()
	gwAddr := testenv.FreeAddr(t)
	if opts.backchannel == "gateway" {
		opts.backchannel = "http://" + gwAddr + "/oidc/backchannel-logout"
	}
	cs := h.registerClients(t, gwAddr, opts)
	full := pick(cs)
	for k, v := range env {
		full[k] = v
	}
	return startGateway(t, gwAddr, h.issuer, full), cs
}

// The gateway settings for each of Hydra's clients.
func hydraPKCE(cs hydraClients) map[string]string {
	return map[string]string{"OIDC_CLIENT_ID": cs.public, "OIDC_AUTH_METHOD": "pkce"}
}

func hydraConfidential(cs hydraClients) map[string]string {
	return map[string]string{"OIDC_CLIENT_ID": cs.confidential, "OIDC_CLIENT_SECRET": hydraSecret, "OIDC_AUTH_METHOD": "pkce"}
}

func hydraImplicit(cs hydraClients) map[string]string {
	return map[string]string{"OIDC_CLIENT_ID": cs.implicit, "OIDC_AUTH_METHOD": "implicit"}
}

// TestHydraPKCEPublicClient: PKCE with a public client (token_endpoint_auth_method
// none), registered through Hydra's admin API; sign-in at our login app, the identity
// from the ID token our consent app filled.
func TestHydraPKCEPublicClient(t *testing.T) {
	h := startHydra(t)
	gw, _ := hydraGateway(t, h, hydraClientOptions{}, hydraPKCE, nil)
	wantIdentity(t, formSignIn(t, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)
}

// TestHydraConfidentialClient: the code flow with PKCE and a client secret
// (client_secret_basic).
func TestHydraConfidentialClient(t *testing.T) {
	h := startHydra(t)
	gw, _ := hydraGateway(t, h, hydraClientOptions{}, hydraConfidential, nil)
	wantIdentity(t, formSignIn(t, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)
}

// TestHydraImplicitFormPost: response_type=id_token with response_mode=form_post
// (the gateway's default flow); Hydra lists form_post in response_modes_supported.
func TestHydraImplicitFormPost(t *testing.T) {
	h := startHydra(t)
	if d := getDiscovery(t, h.issuer+".well-known/openid-configuration"); !slices.Contains(d.ResponseModes, "form_post") {
		t.Errorf("Hydra's response_modes_supported %v lacks form_post", d.ResponseModes)
	}
	gw, _ := hydraGateway(t, h, hydraClientOptions{}, hydraImplicit, nil)
	wantIdentity(t, formSignIn(t, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)
}

// TestHydraRefresh: with offline_access Hydra issues a refresh token and rotates it on
// every use; each refresh answer carries a new ID token with the claims our consent
// app put in the session. A pkce session in Redis re-validates every REFRESH_INTERVAL:
// two refreshes in a row succeed (the second spends the token the first got). When an
// administrator revokes the user's consent for the client (which revokes its tokens)
// and login sessions through Hydra's admin API, Hydra refuses the refresh and the
// session ends; the next sign-in shows our app's password form.
func TestHydraRefresh(t *testing.T) {
	h := startHydra(t)
	rds := testenv.StartRedis(t)
	gw, cs := hydraGateway(t, h, hydraClientOptions{}, hydraPKCE, map[string]string{
		"OIDC_SCOPES": "openid profile email offline_access", "REFRESH_INTERVAL": "1s", "SESSION_STORE": rds.URL()})
	c := testenv.NewClient(t, true)
	wantIdentity(t, formSignInWith(t, c, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)
	rec := refreshCase{gw: gw, c: c, user: hydraUser, email: hydraEmail, groups: hydraGroups, issuer: h.app.URL + "/login",
		forget: func(t *testing.T) {
			q := url.Values{"subject": {hydraSubject}, "client": {cs.public}}
			hydraAdmin(t, http.MethodDelete, h.admin+"/admin/oauth2/auth/sessions/consent?"+q.Encode(), nil, http.StatusNoContent, nil)
			q = url.Values{"subject": {hydraSubject}}
			hydraAdmin(t, http.MethodDelete, h.admin+"/admin/oauth2/auth/sessions/login?"+q.Encode(), nil, http.StatusNoContent, nil)
		}}.run(t)
	t.Logf("the refused refresh: %v", rec)
}

// TestHydraLogoutAfterRefresh: after refreshes the session holds Hydra's refreshed ID
// token, which still carries the login session's sid: RP-initiated logout with it as
// id_token_hint works (Hydra refuses a hint without sid), and Hydra's back-channel
// logout token for that sid still ends the session.
func TestHydraLogoutAfterRefresh(t *testing.T) {
	h := startHydra(t)
	rds := testenv.StartRedis(t)
	env := map[string]string{"OIDC_SCOPES": "openid profile email offline_access", "REFRESH_INTERVAL": "1s", "SESSION_STORE": rds.URL()}
	signInAndRefresh := func(t *testing.T, opts hydraClientOptions) (*testenv.Gateway, hydraClients, *http.Client, time.Time) {
		gw, cs := hydraGateway(t, h, opts, hydraPKCE, env)
		c := testenv.NewClient(t, true)
		wantIdentity(t, formSignInWith(t, c, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)
		signedIn := time.Now()
		refreshCase{gw: gw, c: c, user: hydraUser, email: hydraEmail, groups: hydraGroups}.wantRefreshes(t)
		return gw, cs, c, signedIn
	}
	t.Run("rp-initiated", func(t *testing.T) {
		gw, cs, c, signedIn := signInAndRefresh(t, hydraClientOptions{})
		hint := wantHydraRPLogout(t, h, gw, c, cs.public)
		if iat, _ := hint["iat"].(float64); iat <= float64(signedIn.Unix()) {
			t.Errorf("the id_token_hint was issued at %v, before the refreshes (sign-in done at %d): want the refreshed ID token", hint["iat"], signedIn.Unix())
		}
	})
	t.Run("back-channel", func(t *testing.T) {
		gw, _, c, _ := signInAndRefresh(t, hydraClientOptions{backchannel: "gateway"})
		followHydraLogout(t, h, c, h.issuer+"oauth2/sessions/logout")
		lrs := h.app.logoutRequests()
		sid := lrs[len(lrs)-1].SID
		rec := gw.WaitRecord(t, "back-channel logout", 15*time.Second, func(m map[string]any) bool { return m["sid"] == sid })
		if rec["sessions_ended"] != float64(1) {
			t.Errorf("back-channel logout audit line %v: want sessions_ended 1", rec)
		}
		if status, _ := fetchApp(t, c, gw); status != http.StatusUnauthorized {
			t.Errorf("after Hydra's back-channel logout the refreshed session still works: status %d, want 401", status)
		}
	})
}
