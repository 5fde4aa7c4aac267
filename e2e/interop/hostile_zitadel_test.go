package interop

import (
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// zitadelTokenLifetime is how long the example OP's ID tokens last (its clients'
// IDTokenLifetime).
const zitadelTokenLifetime = time.Hour

// The gateway's settings for each of the OP's flows.
var (
	zitadelImplicitEnv = map[string]string{"OIDC_CLIENT_ID": zitadelImplicit, "OIDC_AUTH_METHOD": "implicit"}
	zitadelPKCEEnv     = map[string]string{"OIDC_CLIENT_ID": zitadelConfClient, "OIDC_CLIENT_SECRET": zitadelSecret, "OIDC_AUTH_METHOD": "pkce"}
)

// TestZitadelHostileWrongAudienceFormPost: a gateway signing in as gw-implicit
// (implicit form_post) starts a login; the test swaps its client_id for
// gw-confidential, another client of the same OP with the same redirect URI. The OP
// signs the user in and form_posts a real ID token for gw-confidential, with the
// gateway's state and nonce: the gateway refuses it (audience).
func TestZitadelHostileWrongAudienceFormPost(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	z := startZitadel(t, gwAddr)
	gw := startGateway(t, gwAddr, z.issuer, zitadelImplicitEnv)
	wantOtherClientsTokenRefused(t, gw, zitadelAccount, zitadelImplicit, zitadelConfClient)
}

// TestZitadelHostileWrongAudienceCode: a gateway signing in as gw-public (PKCE) gets
// a code the OP issued to gw-confidential. The OP itself refuses to redeem it for
// gw-public (invalid_grant), so no token for the other client reaches the gateway,
// which answers 400 and logs the OP's error.
func TestZitadelHostileWrongAudienceCode(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	z := startZitadel(t, gwAddr)
	gw := startGateway(t, gwAddr, z.issuer, map[string]string{"OIDC_CLIENT_ID": zitadelPublicClient, "OIDC_AUTH_METHOD": "pkce"})
	wantOtherClientsCodeRefused(t, gw, zitadelAccount, zitadelConfClient, "idp_invalid_grant", "invalid_grant")
}

// TestZitadelHostileExpiredToken: the gateway's token clock (a -tags testclock build)
// runs ahead of the OP by more than its ID tokens' hour plus the allowed skew, then an
// hour behind: the OP's fresh ID token is refused as expired, then as issued in the
// future, in the form_post and the code flow alike; 90 seconds behind and in step,
// sign-in works.
func TestZitadelHostileExpiredToken(t *testing.T) {
	implicitAddr, pkceAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	z := startZitadel(t, implicitAddr, pkceAddr)
	for _, tc := range []struct {
		name, addr string
		env        map[string]string
	}{{"implicit form_post", implicitAddr, zitadelImplicitEnv}, {"pkce", pkceAddr, zitadelPKCEEnv}} {
		t.Run(tc.name, func(t *testing.T) {
			gw, clock := startClockGateway(t, tc.addr, z.issuer, tc.env)
			wantSkewRefused(t, gw, clock, zitadelAccount, zitadelTokenLifetime+5*time.Minute)
		})
	}
}

// TestZitadelHostileOtherIssuer: two OPs with the same clients, user and redirect URI,
// each with its own signing key. A gateway configured for the first starts a login;
// the test sends it to the second (same path, client, state and nonce), which signs
// the user in and answers the gateway. form_post: the second OP's ID token is refused
// (its key is not the first OP's: unknown_key, after the bounded wait for a key
// refresh; the issuer would be checked next). Code flow: the first OP does not know
// the second's code (invalid_grant).
func TestZitadelHostileOtherIssuer(t *testing.T) {
	implicitAddr, pkceAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	z, other := startZitadel(t, implicitAddr, pkceAddr), startZitadel(t, implicitAddr, pkceAddr)
	for _, tc := range []struct {
		name, addr      string
		env             map[string]string
		reason, errText string
	}{
		{"implicit form_post", implicitAddr, zitadelImplicitEnv, "unknown_key", "key the IdP does not publish"},
		{"pkce", pkceAddr, zitadelPKCEEnv, "idp_invalid_grant", "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw := startGateway(t, tc.addr, z.issuer, tc.env)
			c, a, resp, body := steered(t, gw, zitadelAccount, toHostOf(t, other.issuer))
			if raw := a.form.Get("id_token"); raw != "" && testenv.JWTClaims(t, raw)["iss"] != other.issuer {
				t.Fatalf("the ID token's iss is %v, want the other OP's %s", testenv.JWTClaims(t, raw)["iss"], other.issuer)
			}
			wantRefused(t, gw, resp, body, 0, tc.reason, tc.errText)
			wantNotSignedIn(t, gw, c)
			wantSignInWorks(t, gw, zitadelAccount)
		})
	}
}

// TestZitadelHostileReplayedFormPost: a real form_post, delivered, signs the user in;
// the same body delivered again is refused, from the same browser (its login-state
// cookie is gone: state_mismatch) and with the login-state cookie captured along with
// the body (the state was used: replayed).
func TestZitadelHostileReplayedFormPost(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	z := startZitadel(t, gwAddr)
	gw := startGateway(t, gwAddr, z.issuer, zitadelImplicitEnv)
	wantReplayRefused(t, gw, zitadelAccount, "replayed", "already used")
}
