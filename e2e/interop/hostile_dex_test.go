package interop

import (
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// Dex has the code flow only (no form_post, so no implicit flow): every ID token
// reaches the gateway from Dex's token endpoint in exchange for a code, never through
// the browser. A token minted for another client, or by another issuer, cannot be
// handed to the gateway's callback; what can is that client's or issuer's code, which
// Dex itself must refuse to redeem for the gateway. The replayed response is a code
// callback, not a form_post.

// dexTokenLifetime is how long Dex's ID tokens last by default (expiry.idTokens).
const dexTokenLifetime = 24 * time.Hour

// dexPKCEEnv signs the gateway in as Dex's public client.
var dexPKCEEnv = map[string]string{"OIDC_CLIENT_ID": dexPublicClient, "OIDC_AUTH_METHOD": "pkce", "OIDC_SCOPES": dexScopes}

// TestDexHostileWrongAudience: a gateway signing in as gw-public (PKCE) gets a code Dex
// issued to gw-confidential. Dex refuses to redeem it for gw-public, though not with
// invalid_grant: it answers 500 server_error (its token endpoint takes a code found
// for another client for a storage failure). The gateway answers 400 and logs Dex's
// error; no token for the other client reaches it.
func TestDexHostileWrongAudience(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d := startDex(t, gwAddr)
	gw := startGateway(t, gwAddr, d.issuer, dexPKCEEnv)
	wantOtherClientsCodeRefused(t, gw, dexAccount, dexConfClient, "idp_server_error", "server_error")
	d.proc.WaitLog(t, "failed to get auth code", testenv.LogWait) // Dex's storage-failure line
}

// TestDexHostileExpiredToken: the gateway's token clock (a -tags testclock build) runs
// ahead of Dex by more than its ID tokens' default 24 hours plus the allowed skew,
// then 15 minutes ahead, then an hour behind: Dex's fresh ID token is refused as
// expired, issued too long ago for a sign-in, and issued in the future; 90 seconds
// behind and in step, sign-in works.
func TestDexHostileExpiredToken(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d := startDex(t, gwAddr)
	gw, clock := startClockGateway(t, gwAddr, d.issuer, dexPKCEEnv)
	wantSkewRefused(t, gw, clock, dexAccount, dexTokenLifetime+5*time.Minute)
}

// TestDexHostileOtherIssuer: two Dex processes with the same clients, user and
// redirect URI. A gateway configured for the first starts a login; the test sends it
// to the second, whose code reaches the gateway: the first Dex does not know it
// (invalid_grant), and the gateway answers 400.
func TestDexHostileOtherIssuer(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d, other := startDex(t, gwAddr), startDex(t, gwAddr)
	gw := startGateway(t, gwAddr, d.issuer, dexPKCEEnv)
	c, _, resp, body := steered(t, gw, dexAccount, toHostOf(t, other.issuer))
	wantRefused(t, gw, resp, body, 0, "idp_invalid_grant", "Invalid or expired code")
	wantNotSignedIn(t, gw, c)
	wantSignInWorks(t, gw, dexAccount)
}

// TestDexHostileReplayedCode: a real code callback, delivered, signs the user in; the
// same callback delivered again is refused, from the same browser (its login-state
// cookie is gone: state_mismatch) and with the login-state cookie captured along with
// it (Dex refuses the spent code: invalid_grant).
func TestDexHostileReplayedCode(t *testing.T) {
	gwAddr := testenv.FreeAddr(t)
	d := startDex(t, gwAddr)
	gw := startGateway(t, gwAddr, d.issuer, dexPKCEEnv)
	wantReplayRefused(t, gw, dexAccount, "idp_invalid_grant", "Invalid or expired code")
}
