package interop

import (
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// hydraTokenLifetime is how long Hydra's ID tokens last: its ttl.id_token, which the
// hostile tests set (to Hydra's default) rather than assume.
const hydraTokenLifetime = time.Hour

// hydraAccount is hydraApp's user as the hostile cases sign in.
var hydraAccount = account{hydraLogin, hydraUser, hydraEmail, hydraGroups}

// TestHydraHostileWrongAudience: Hydra has a second client with the gateway's
// redirect URI. A gateway signing in as the implicit client (form_post) starts a
// login; the test swaps its client_id for the second implicit client. Hydra signs
// the user in and form_posts its real ID token for that client, with the gateway's
// state and nonce: the gateway refuses it (audience). A gateway signing in as the
// public PKCE client gets a code Hydra issued to the confidential client: Hydra
// refuses to redeem it for the public one (invalid_grant), so no token for the other
// client reaches the gateway. Each time no one is signed in, and a normal sign-in
// works afterwards.
func TestHydraHostileWrongAudience(t *testing.T) {
	h := startHydra(t, "TTL_ID_TOKEN="+hydraTokenLifetime.String())
	t.Run("implicit form_post", func(t *testing.T) {
		gwAddr := testenv.FreeAddr(t)
		cs := h.registerClients(t, gwAddr, hydraClientOptions{})
		other := cs.implicit + "-other"
		h.registerClient(t, other, gwAddr, hydraClientOptions{}, hydraImplicitClient)
		gw := startGateway(t, gwAddr, h.issuer, hydraImplicit(cs))
		wantOtherClientsTokenRefused(t, gw, hydraAccount, cs.implicit, other)
	})
	t.Run("pkce code", func(t *testing.T) {
		gw, cs := hydraGateway(t, h, hydraClientOptions{}, hydraPKCE, nil)
		wantOtherClientsCodeRefused(t, gw, hydraAccount, cs.confidential, "idp_invalid_grant", "invalid_grant")
	})
}

// TestHydraHostileExpired: the gateway's token clock (a -tags testclock build) runs
// ahead of Hydra by more than its ID tokens' hour plus the allowed skew, then 15
// minutes ahead, then an hour behind: Hydra's fresh ID token is refused as expired,
// as issued too long ago for a sign-in, and as issued in the future, in the form_post
// and the code flow alike; 90 seconds behind and in step, sign-in works.
func TestHydraHostileExpired(t *testing.T) {
	h := startHydra(t, "TTL_ID_TOKEN="+hydraTokenLifetime.String())
	for _, tc := range []struct {
		name string
		pick func(hydraClients) map[string]string
	}{{"implicit form_post", hydraImplicit}, {"pkce", hydraConfidential}} {
		t.Run(tc.name, func(t *testing.T) {
			gwAddr := testenv.FreeAddr(t)
			cs := h.registerClients(t, gwAddr, hydraClientOptions{})
			gw, clock := startClockGateway(t, gwAddr, h.issuer, tc.pick(cs))
			wantSkewRefused(t, gw, clock, hydraAccount, hydraTokenLifetime+5*time.Minute)
		})
	}
}
