package settings

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/doctor"
	"github.com/ssogate/ssogate/internal/testidp"
)

func TestTestShowsEachCheck(t *testing.T) {
	good := startIdP(t, nil)
	noFormPost := startIdP(t, func(o *testidp.Options) { o.ResponseModes = []string{"query", "fragment"} })
	badKeys := startIdP(t, func(o *testidp.Options) {
		o.DiscoveryHook = func(doc map[string]any) { doc["jwks_uri"] = doc["issuer"].(string) + "/no-such-jwks" }
	})
	otherIssuer := startIdP(t, func(o *testidp.Options) {
		o.DiscoveryHook = func(doc map[string]any) { doc["issuer"] = "https://login.example.com" }
	})
	closed, notFound := closedIssuer(t), notFoundIssuer(t)
	const (
		pass = true
		fail = false
	)
	tests := []struct {
		name   string
		form   map[string]string
		want   [5]bool // config, discovery, issuer, method, JWKS
		detail string  // in the page
	}{
		{"good issuer, implicit", map[string]string{"OIDC_ISSUER": good}, [5]bool{pass, pass, pass, pass, pass}, "Every check passed"},
		{"good issuer, pkce", map[string]string{"OIDC_ISSUER": good, "OIDC_AUTH_METHOD": "pkce"}, [5]bool{pass, pass, pass, pass, pass}, "S256"},
		{"implicit without form_post", map[string]string{"OIDC_ISSUER": noFormPost}, [5]bool{pass, pass, pass, fail, pass}, "form_post"},
		{"pkce without form_post is fine", map[string]string{"OIDC_ISSUER": noFormPost, "OIDC_AUTH_METHOD": "pkce"}, [5]bool{pass, pass, pass, pass, pass}, ""},
		{"JWKS not found", map[string]string{"OIDC_ISSUER": badKeys}, [5]bool{pass, pass, pass, pass, fail}, "HTTP 404"},
		{"issuer mismatch", map[string]string{"OIDC_ISSUER": otherIssuer}, [5]bool{pass, pass, fail, fail, fail}, "Not run: the issuer does not match."},
		{"closed port", map[string]string{"OIDC_ISSUER": closed}, [5]bool{pass, fail, fail, fail, fail}, "(connection refused): check the issuer URL and the network."},
		{"no discovery document", map[string]string{"OIDC_ISSUER": notFound}, [5]bool{pass, fail, fail, fail, fail}, "HTTP 404"},
		{"invalid issuer", map[string]string{"OIDC_ISSUER": "ftp://idp.example"}, [5]bool{fail, fail, fail, fail, fail}, "Not run: fix <code>OIDC_ISSUER</code> first."},
		{"bad role map, good issuer", map[string]string{"OIDC_ISSUER": good, "ROLE_MAP": "admins=root"}, [5]bool{fail, pass, pass, pass, pass}, "ROLE_MAP"},
	}
	names := [5]string{doctor.Name(doctor.IDConfig), doctor.Name(doctor.IDDiscovery), doctor.Name(doctor.IDIssuer),
		doctor.Name(doctor.IDMethod), doctor.Name(doctor.IDSigningKeys)}
	f := newFixture(t, goodEnv(closed), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.post(t, "test", tt.form)
			if rec.Code != http.StatusOK {
				t.Fatalf("status: got %d, want 200", rec.Code)
			}
			body := rec.Body.String()
			got := checksOf(body)
			for i, name := range names {
				ok, shown := got[name]
				if !shown {
					t.Errorf("check %q: not shown", name)
				} else if ok != tt.want[i] {
					t.Errorf("check %q: got pass=%v, want %v", name, ok, tt.want[i])
				}
			}
			if !strings.Contains(body, tt.detail) {
				t.Errorf("page: got no %q", tt.detail)
			}
			if strings.Contains(body, "dial tcp") || strings.Contains(body, "connect: connection refused") {
				t.Errorf("page: shows the raw network error instead of plain words")
			}
			if !strings.Contains(body, `value="`+tt.form["OIDC_ISSUER"]+`"`) {
				t.Errorf("page: the submitted issuer is not kept in the form")
			}
		})
	}
	if fileExists(f.dir) || len(f.appliedConfigs()) != 0 {
		t.Errorf("after tests: got settings.json=%v, %d Apply calls; want neither", fileExists(f.dir), len(f.appliedConfigs()))
	}
}

func TestTestShowsTheGroupSource(t *testing.T) {
	good := startIdP(t, nil)
	f := newFixture(t, goodEnv(good), nil)
	rec := f.post(t, "test", map[string]string{"OIDC_ISSUER": good, "OIDC_AUTH_METHOD": "pkce"})
	body := rec.Body.String()
	if ok, shown := checksOf(body)[doctor.Name(doctor.IDGroups)]; !shown || !ok {
		t.Fatalf("check %q: shown %v, pass %v; want a passing group source", doctor.Name(doctor.IDGroups), shown, ok)
	}
	if !strings.Contains(body, "else from userinfo at") {
		t.Errorf("the page does not say groups come from userinfo:\n%s", body)
	}
}
