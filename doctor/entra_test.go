package doctor

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/config"
)

// entraV1 answers as Microsoft Entra ID does for a tenant's v1 endpoints, without
// any network: every discovery document names the v1 issuer https://sts.windows.net/TENANT/.
func entraV1(tenant string) *http.Client {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
		switch {
		case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer":                                "https://sts.windows.net/" + tenant + "/",
				"authorization_endpoint":                "https://login.microsoftonline.com/" + tenant + "/oauth2/authorize",
				"token_endpoint":                        "https://login.microsoftonline.com/" + tenant + "/oauth2/token",
				"jwks_uri":                              "https://login.microsoftonline.com/common/discovery/keys",
				"response_types_supported":              []string{"code", "id_token", "code id_token", "token id_token", "token"},
				"response_modes_supported":              []string{"query", "fragment", "form_post"},
				"id_token_signing_alg_values_supported": []string{"RS256"},
			})
		case r.URL.Path == "/common/discovery/keys":
			_, _ = w.Write([]byte(`{"keys":[]}`))
		default:
			http.NotFound(w, r)
		}
	})
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		resp := rec.Result()
		resp.Request = r
		return resp, nil
	})}
}

// TestRunNeverAdvisesTheEntraV1Issuer: for an Entra v1 issuer, whether configured as
// its sign-in URL or as the issuer its discovery document names, every piece of
// advice points at the tenant's v2.0 issuer and none at the v1 issuer it warns
// against.
func TestRunNeverAdvisesTheEntraV1Issuer(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	v1, v2 := "https://sts.windows.net/"+tenant+"/", "https://login.microsoftonline.com/"+tenant+"/v2.0"
	cases := []struct {
		issuer     string
		wantAdvice []string // the checks that must name v2
	}{
		{"https://login.microsoftonline.com/" + tenant, []string{IDIssuerForm, IDIssuer}},
		{"https://login.microsoftonline.com/" + tenant + "/", []string{IDIssuerForm, IDIssuer}},
		{v1, []string{IDIssuerForm}},
	}
	for _, c := range cases {
		t.Run(c.issuer, func(t *testing.T) {
			cfg := config.Config{Issuer: c.issuer, ClientID: "wandb", AuthMethod: config.MethodImplicit}
			results := run(t, cfg, entraV1(tenant))
			for _, id := range c.wantAdvice {
				r := find(t, results, id)
				if r.Status != Fail || !strings.Contains(r.Detail, "Set OIDC_ISSUER to the v2.0 issuer "+v2) {
					t.Errorf("got %s %s: %q; want a failure advising OIDC_ISSUER=%s", id, r.Status, r.Detail, v2)
				}
			}
			for _, r := range results {
				for _, bad := range []string{"to exactly " + `"` + v1, "to exactly " + `"` + strings.TrimSuffix(v1, "/"), "issuer " + v1 + " instead"} {
					if strings.Contains(r.Detail, bad) {
						t.Errorf("got %s: %q; it advises the v1 issuer its issuer form hint warns against", r.ID, r.Detail)
					}
				}
			}
		})
	}
}
