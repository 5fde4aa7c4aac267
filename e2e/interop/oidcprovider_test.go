package interop

import (
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestOIDCProviderNotOffered records, from panva's oidc-provider's own discovery
// document, the one cell of the matrix it does not offer: front-channel logout (the
// library dropped the draft feature in v8; the version testdata/oidc-provider pins is
// 9). Its other cells are tested in e2e/gateway and e2e/sessions; the gateway's
// front-channel endpoint is tested against Ory Hydra's real logout page here, and in
// e2e/sessions with requests built as a provider sends them.
func TestOIDCProviderNotOffered(t *testing.T) {
	idp := testenv.StartOIDCProvider(t, testenv.ProviderConfig{})
	d := getDiscovery(t, idp.URL+"/.well-known/openid-configuration")
	if d.Frontchannel || d.FrontchannelSession {
		t.Errorf("oidc-provider now offers front-channel logout (session %v): add a real front-channel cell for it to the interop matrix", d.FrontchannelSession)
	}
	if !d.Backchannel || !d.BackchannelSession || d.EndSession == "" {
		t.Errorf("oidc-provider no longer offers back-channel logout with sessions (%v, %v) or an end_session_endpoint (%q): its cells in the matrix must change",
			d.Backchannel, d.BackchannelSession, d.EndSession)
	}
}
