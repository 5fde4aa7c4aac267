package settings

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
)

func TestShowsSourcesAndEnvironment(t *testing.T) {
	issuer := startIdP(t, nil)
	env := goodEnv(issuer)
	env["OIDC_CLIENT_ID"] = "env-client"
	f := newFixture(t, env, config.Saved{"OIDC_CLIENT_ID": "saved-client"})
	rec := f.get(t, &admin)
	if rec.Code != http.StatusOK {
		t.Fatalf("status: got %d, want 200", rec.Code)
	}
	body := rec.Body.String()
	tests := []struct {
		name, wantSource, wantValue string
	}{
		{"OIDC_ISSUER", "environment", `value="` + issuer + `"`},
		{"OIDC_CLIENT_ID", "saved", `value="saved-client"`},
		{"OIDC_AUTH_METHOD", "default", `<option value="implicit" selected>`},
		{"OIDC_SCOPES", "default", `value="openid profile email"`},
		{"OIDC_CLIENT_SECRET", "environment", "Currently set."},
		{"ROLE_MAP", "default", `name="ROLE_MAP"`},
		{"ALLOWED_GROUPS", "default", `name="ALLOWED_GROUPS"`},
		{"OIDC_GROUPS_CLAIM", "default", `name="OIDC_GROUPS_CLAIM"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re := regexp.MustCompile(`(?s)<label for="f-` + tt.name + `">[^<]*</label> <span class="badge source" id="src-` + tt.name + `">([^<]*)</span>(.*?)</p>\n</div>`)
			m := re.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("page: got no field %s", tt.name)
			}
			if m[1] != tt.wantSource {
				t.Errorf("source: got %q, want %q", m[1], tt.wantSource)
			}
			if !strings.Contains(m[2], tt.wantValue) {
				t.Errorf("field: got %q, want it to contain %q", m[2], tt.wantValue)
			}
		})
	}
	if !strings.Contains(body, "environment: <code>env-client</code>") {
		t.Errorf("page: got no environment value under the saved client ID")
	}
	if strings.Contains(body, envSecret) {
		t.Errorf("page: got the client secret in the HTML")
	}
}

func TestRefusesNonAdmins(t *testing.T) {
	f := newFixture(t, goodEnv(closedIssuer(t)), nil)
	member := claims.Identity{Username: "bob", Role: claims.RoleMember, AMR: []string{claims.AMRSSO}}
	breakGlass := claims.Identity{Username: "admin", AMR: []string{claims.AMRLocalRestore}}
	tests := []struct {
		name string
		id   *claims.Identity
		want int
	}{
		{"no identity in context", nil, http.StatusForbidden},
		{"member", &member, http.StatusForbidden},
		{"admin role", &admin, http.StatusOK},
		{"break-glass admin", &breakGlass, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.get(t, tt.id).Code; got != tt.want {
				t.Errorf("status: got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	issuer := startIdP(t, nil)
	f := newFixture(t, goodEnv(closedIssuer(t)), nil)
	tests := []struct {
		name    string
		noToken bool
		headers map[string]string
	}{
		// A cross-site POST never reaches this handler: the router's cross-origin layer
		// refuses it (proxy TestCrossOriginRefusedOnGatewayRoutes).
		{"no token", true, map[string]string{"Sec-Fetch-Site": "same-origin"}},
		{"no token, no browser headers", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.postWith(t, "save", map[string]string{"OIDC_ISSUER": issuer}, tt.noToken, tt.headers)
			if rec.Code != http.StatusForbidden {
				t.Errorf("status: got %d, want 403", rec.Code)
			}
			if fileExists(f.dir) {
				t.Errorf("settings.json: got written, want not")
			}
			if got := len(f.appliedConfigs()); got != 0 {
				t.Errorf("Apply calls: got %d, want 0", got)
			}
		})
	}
}

func TestUnknownAction(t *testing.T) {
	f := newFixture(t, goodEnv(closedIssuer(t)), nil)
	if rec := f.post(t, "delete-everything", nil); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown action: got %d, want 400", rec.Code)
	}
}

// TestShowsRisks: the settings that work but leave the gateway exposed, which the
// start-up log warns of, are listed on the page; with none, there is no such list.
func TestShowsRisks(t *testing.T) {
	env := goodEnv(startIdP(t, nil))
	f := newFixture(t, env, nil)
	if body := f.get(t, &admin).Body.String(); strings.Contains(body, `id="risks-h"`) {
		t.Errorf("the page lists risks without any:\n%s", body)
	}
	env = goodEnv(startIdP(t, nil))
	env["TRUSTED_PROXIES"] = "0.0.0.0/0"
	env["REFRESH_INTERVAL"] = "5s"
	f = newFixture(t, env, nil)
	body := f.get(t, &admin).Body.String()
	for _, want := range []string{`id="risks-h"`, "Settings that leave the gateway exposed",
		"<code>TRUSTED_PROXIES=0.0.0.0/0</code>", "trusts every address", "<code>REFRESH_INTERVAL=5s</code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
}
