package claims

import (
	"slices"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		issuer   string
		kind     string
		groups   []string
		merge    bool
		username string // first username claim
		logout   string
		hint     bool
	}{
		{"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123", KindCognito, []string{"cognito:groups"}, false, "cognito:username", LogoutTemplate, false},
		{"https://myapp.auth.eu-west-1.amazoncognito.com", KindCognito, []string{"cognito:groups"}, false, "cognito:username", LogoutTemplate, true},
		{"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", KindEntra, []string{"groups", "roles"}, true, "preferred_username", LogoutDiscovery, false},
		{"https://login.microsoftonline.com/{tenantid}/v2.0", KindEntra, []string{"groups", "roles"}, true, "preferred_username", LogoutDiscovery, false},
		{"https://login.microsoftonline.com/common/v2.0/", KindEntra, []string{"groups", "roles"}, true, "preferred_username", LogoutDiscovery, false},
		{"https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", KindEntra, []string{"groups", "roles"}, true, "preferred_username", LogoutDiscovery, true},
		{"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", KindEntra, []string{"groups", "roles"}, true, "preferred_username", LogoutDiscovery, true},
		{"https://acme.okta.com", KindOkta, []string{"groups"}, false, "preferred_username", LogoutDiscovery, false},
		{"https://acme.okta.com/oauth2/default", KindOkta, []string{"groups"}, false, "preferred_username", LogoutDiscovery, false},
		{"https://dev-123456.oktapreview.com/oauth2/aus1abcd", KindOkta, []string{"groups"}, false, "preferred_username", LogoutDiscovery, false},
		{"https://acme.okta-emea.com", KindOkta, []string{"groups"}, false, "preferred_username", LogoutDiscovery, false},
		{"https://ACME.OKTA.COM/", KindOkta, []string{"groups"}, false, "preferred_username", LogoutDiscovery, false},
		{"https://sso.example.com/realms/ml", KindKeycloak, []string{"groups", "realm_access.roles"}, false, "preferred_username", LogoutDiscovery, false},
		{"https://sso.example.com/auth/realms/ml/", KindKeycloak, []string{"groups", "realm_access.roles"}, false, "preferred_username", LogoutDiscovery, false},
		{"https://acme.eu.auth0.com/", KindAuth0, nil, false, "nickname", LogoutDiscovery, false},
		{"https://accounts.google.com", KindGoogle, nil, false, "email", LogoutDiscovery, false},
		{"accounts.google.com", KindGoogle, nil, false, "email", LogoutDiscovery, false},
		{"https://dex.example.com/dex", KindOIDC, []string{"groups"}, false, "preferred_username", LogoutDiscovery, false},
		{"https://okta.com.evil.example/", KindOIDC, []string{"groups"}, false, "preferred_username", LogoutDiscovery, false},
		{"https://evil-okta.com/", KindOIDC, []string{"groups"}, false, "preferred_username", LogoutDiscovery, false},
		{"", KindOIDC, []string{"groups"}, false, "preferred_username", LogoutDiscovery, false},
	}
	for _, tt := range tests {
		t.Run(tt.issuer, func(t *testing.T) {
			got := Detect(tt.issuer)
			if got.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", got.Kind, tt.kind)
			}
			if !slices.Equal(got.GroupsClaims, tt.groups) {
				t.Errorf("GroupsClaims = %q, want %q", got.GroupsClaims, tt.groups)
			}
			if got.MergeGroups != tt.merge {
				t.Errorf("MergeGroups = %v, want %v", got.MergeGroups, tt.merge)
			}
			if len(got.UsernameClaims) == 0 || got.UsernameClaims[0] != tt.username {
				t.Errorf("UsernameClaims = %q, want first %q", got.UsernameClaims, tt.username)
			}
			if got.LogoutStyle != tt.logout {
				t.Errorf("LogoutStyle = %q, want %q", got.LogoutStyle, tt.logout)
			}
			if (got.Hint != "") != tt.hint {
				t.Errorf("Hint = %q, want a hint: %v", got.Hint, tt.hint)
			}
		})
	}
}

func TestDetectReturnsCopies(t *testing.T) {
	p := Detect("https://acme.okta.com")
	p.GroupsClaims[0] = "changed"
	p.UsernameClaims[0] = "changed"
	again := Detect("https://acme.okta.com")
	if again.GroupsClaims[0] != "groups" || again.UsernameClaims[0] != "preferred_username" {
		t.Errorf("after mutating a returned Profile, Detect gives %q / %q, want groups / preferred_username",
			again.GroupsClaims, again.UsernameClaims)
	}
}

func TestEntraIssuerMatches(t *testing.T) {
	const (
		tenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		tenantB = "9188040d-6c67-4c5b-b112-36a304b66dad"
		issA    = "https://login.microsoftonline.com/" + tenantA + "/v2.0"
	)
	tests := []struct {
		name                 string
		configured, iss, tid string
		want                 bool
	}{
		{"template matches own tid", "https://login.microsoftonline.com/{tenantid}/v2.0", issA, tenantA, true},
		{"template, iss of another tenant", "https://login.microsoftonline.com/{tenantid}/v2.0", issA, tenantB, false},
		{"template, no tid", "https://login.microsoftonline.com/{tenantid}/v2.0", issA, "", false},
		{"template, tid rewriting the path", "https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com/x/y/v2.0", "x/y", false},
		{"common configured", "https://login.microsoftonline.com/common/v2.0", issA, tenantA, true},
		{"organizations configured", "https://login.microsoftonline.com/organizations/v2.0", issA, tenantA, true},
		{"single tenant exact", issA, issA, tenantA, true},
		{"single tenant, other tenant's token", issA, "https://login.microsoftonline.com/" + tenantB + "/v2.0", tenantB, false},
		{"v1 token for v2 template", "https://login.microsoftonline.com/{tenantid}/v2.0", "https://sts.windows.net/" + tenantA + "/", tenantA, false},
		{"not entra", "https://acme.okta.com", "https://acme.okta.com", "", true},
		{"consumers, US cloud", "https://login.microsoftonline.us/consumers/v2.0", "https://login.microsoftonline.us/" + tenantA + "/v2.0", tenantA, true},
		{"common, custom host", "http://127.0.0.1:8080/common/v2.0", "http://127.0.0.1:8080/" + tenantA + "/v2.0", tenantA, true},
		{"common, custom host, other host's token", "http://127.0.0.1:8080/common/v2.0", issA, tenantA, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EntraIssuerMatches(tt.configured, tt.iss, tt.tid); got != tt.want {
				t.Errorf("EntraIssuerMatches(%q, %q, %q) = %v, want %v", tt.configured, tt.iss, tt.tid, got, tt.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	const custom = "https://sso.mycompany.com"
	for _, tc := range []struct{ provider, issuer, wantKind, wantUsername string }{
		{"", "https://acme.okta.com", KindOkta, "preferred_username"},
		{"auto", custom, KindOIDC, "preferred_username"},
		{"okta", custom, KindOkta, "preferred_username"},
		{"entra", custom, KindEntra, "preferred_username"},
		{"cognito", custom, KindCognito, "cognito:username"},
		{"keycloak", custom, KindKeycloak, "preferred_username"},
		{"auth0", custom, KindAuth0, "nickname"},
		{"google", custom, KindGoogle, "email"},
		{"generic", "https://acme.okta.com", KindOIDC, "preferred_username"},
	} {
		p := Resolve(tc.provider, tc.issuer)
		if p.Kind != tc.wantKind || p.UsernameClaims[0] != tc.wantUsername || p.Hint != "" {
			t.Errorf("Resolve(%q, %q) = %s, username %v, hint %q; want %s, %s first, no hint",
				tc.provider, tc.issuer, p.Kind, p.UsernameClaims, p.Hint, tc.wantKind, tc.wantUsername)
		}
	}
}

// TestDetectNamesTheEntraV2IssuerForAV1One: the hint for an Entra v1 issuer names the
// tenant's v2.0 issuer, on the same cloud, and never the v1 issuer itself.
func TestDetectNamesTheEntraV2IssuerForAV1One(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	cases := []struct{ issuer, want string }{
		{"https://sts.windows.net/" + tenant + "/", "https://login.microsoftonline.com/" + tenant + "/v2.0"},
		{"https://login.microsoftonline.com/" + tenant, "https://login.microsoftonline.com/" + tenant + "/v2.0"},
		{"https://login.microsoftonline.com/contoso.onmicrosoft.com/", ""},
		{"https://login.microsoftonline.com/common", ""},
		{"https://login.microsoftonline.us/" + tenant + "/", "https://login.microsoftonline.us/" + tenant + "/v2.0"},
		{"https://sts.windows.net/{tenantid}/", ""},
		{"https://login.microsoftonline.com/", ""},
	}
	for _, c := range cases {
		t.Run(c.issuer, func(t *testing.T) {
			p := Detect(c.issuer)
			if p.Issuer != c.want {
				t.Errorf("Issuer = %q, want %q", p.Issuer, c.want)
			}
			want := c.want
			if want == "" {
				want = "https://login.microsoftonline.com/TENANT_ID/v2.0"
			}
			if !strings.Contains(p.Hint, "Set OIDC_ISSUER to the v2.0 issuer "+want) {
				t.Errorf("Hint = %q, want it to name %s", p.Hint, want)
			}
		})
	}
}
