package interop

import (
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

func (z *zitadelOP) discovery(t *testing.T) discoveryDoc {
	t.Helper()
	return getDiscovery(t, z.issuer+".well-known/openid-configuration")
}

// TestZitadelPKCEPublicClient: PKCE with a native client (no secret). The example OP's
// ID token from the code flow carries only sub (it puts profile and email claims in an
// ID token only when no access token is issued): user, email and groups reach the
// upstream because the gateway reads them from userinfo with the access token.
func TestZitadelPKCEPublicClient(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	z := startZitadel(t, gwAddr)
	gw := startGateway(t, gwAddr, z.issuer, map[string]string{"OIDC_CLIENT_ID": zitadelPublicClient, "OIDC_AUTH_METHOD": "pkce"})
	wantIdentity(t, formSignIn(t, gw, zitadelLogin), zitadelUser, zitadelEmail, zitadelGroups)
}

// TestZitadelConfidentialClient: the code flow with PKCE and a client secret
// (client_secret_basic, the example's web client).
func TestZitadelConfidentialClient(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	z := startZitadel(t, gwAddr)
	gw := startGateway(t, gwAddr, z.issuer, map[string]string{"OIDC_CLIENT_ID": zitadelConfClient,
		"OIDC_CLIENT_SECRET": zitadelSecret, "OIDC_AUTH_METHOD": "pkce"})
	wantIdentity(t, formSignIn(t, gw, zitadelLogin), zitadelUser, zitadelEmail, zitadelGroups)
}

// TestZitadelImplicitFormPost: response_type=id_token with response_mode=form_post
// (the gateway's default flow). The OP answers form_post although its discovery
// document lists no response_modes_supported (the spec's default is query and
// fragment): the gateway must not require the field.
func TestZitadelImplicitFormPost(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	z := startZitadel(t, gwAddr)
	if d := z.discovery(t); len(d.ResponseModes) != 0 {
		t.Errorf("the OP now lists response_modes_supported %v: update docs/interop.md's note on form_post", d.ResponseModes)
	}
	gw := startGateway(t, gwAddr, z.issuer, map[string]string{"OIDC_CLIENT_ID": zitadelImplicit, "OIDC_AUTH_METHOD": "implicit"})
	wantIdentity(t, formSignIn(t, gw, zitadelLogin), zitadelUser, zitadelEmail, zitadelGroups)
}

// TestZitadelNotOffered records, from the OP's own discovery document, the cells of
// the matrix the zitadel/oidc example OP does not offer: back-channel and front-channel
// logout. The library only advertises back-channel logout when an implementation sets
// it (and sends no logout tokens itself); the example does not.
func TestZitadelNotOffered(t *testing.T) {
	d := startZitadel(t, testenv.FreeAddr(t)).discovery(t)
	if d.Backchannel || d.Frontchannel {
		t.Errorf("the OP now offers back-channel %v, front-channel %v logout: add those cells to the interop matrix", d.Backchannel, d.Frontchannel)
	}
	if d.EndSession == "" {
		t.Errorf("the OP no longer offers an end_session_endpoint: TestZitadelRPInitiatedLogout and the matrix must change")
	}
}
