package claims

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// parse decodes a claim set the way a verifier hands it over: from JSON.
func parse(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test claims %s: %v", s, err)
	}
	return m
}

func TestIdentityPerIdP(t *testing.T) {
	authTime := time.Unix(1767225600, 0).UTC()
	tests := []struct {
		name     string
		n        Normalizer
		issuer   string
		claims   string
		want     Identity
		warnings []string // codes
	}{{
		name:   "cognito with string email_verified",
		n:      Normalizer{RoleMap: map[string]string{"admins": RoleAdmin}},
		issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
		claims: `{"sub":"4f1c-uuid","iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
			"cognito:groups":["admins","ml-team"],"cognito:username":"jdoe","email":"jdoe@example.com",
			"email_verified":"true","auth_time":1767225600,"token_use":"id"}`,
		want: Identity{Subject: "4f1c-uuid", Username: "jdoe", Email: "jdoe@example.com", EmailVerified: true,
			Groups: []string{"admins", "ml-team"}, Role: RoleAdmin, IdP: KindCognito, AMR: []string{AMRSSO},
			Issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example", AuthTime: authTime},
	}, {
		name:   "entra groups GUIDs merged with roles",
		issuer: "https://login.microsoftonline.com/{tenantid}/v2.0",
		claims: `{"sub":"AAAAbbbb","iss":"https://login.microsoftonline.com/tid-1/v2.0","tid":"tid-1",
			"groups":["8d2c1a6e-0000-4000-8000-000000000001","8d2c1a6e-0000-4000-8000-000000000002"],
			"roles":["Wandb.Admin"],"preferred_username":"jdoe@contoso.com","name":"Jane Doe",
			"email":"jdoe@contoso.com","xms_edov":true,"sid":"00aa-sid"}`,
		want: Identity{Subject: "AAAAbbbb", Username: "jdoe@contoso.com", Email: "jdoe@contoso.com",
			EmailVerified: true, Name: "Jane Doe",
			Groups: []string{"8d2c1a6e-0000-4000-8000-000000000001", "8d2c1a6e-0000-4000-8000-000000000002", "Wandb.Admin"},
			Role:   RoleMember, IdP: KindEntra, AMR: []string{AMRSSO}, SessionID: "00aa-sid",
			Issuer: "https://login.microsoftonline.com/tid-1/v2.0"},
	}, {
		name:   "entra overage marker",
		issuer: "https://login.microsoftonline.com/tid-1/v2.0",
		claims: `{"sub":"s","preferred_username":"many@contoso.com","roles":["Reader"],
			"_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{"endpoint":"https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}}}`,
		want: Identity{Subject: "s", Username: "many@contoso.com", Groups: []string{"Reader"}, Role: RoleMember,
			IdP: KindEntra, AMR: []string{AMRSSO}, Issuer: "https://login.microsoftonline.com/tid-1/v2.0"},
		warnings: []string{WarnGroupOverage},
	}, {
		name:   "entra implicit hasgroups and unverified email",
		issuer: "https://login.microsoftonline.com/tid-1/v2.0",
		claims: `{"sub":"s","preferred_username":"u@contoso.com","email":"u@contoso.com","hasgroups":true}`,
		want: Identity{Subject: "s", Username: "u@contoso.com", Role: RoleMember,
			IdP: KindEntra, AMR: []string{AMRSSO}, Issuer: "https://login.microsoftonline.com/tid-1/v2.0"},
		warnings: []string{WarnEmailUnverified, WarnGroupOverage},
	}, {
		name:   "okta org authorization server",
		issuer: "https://acme.okta.com",
		claims: `{"sub":"00u1","preferred_username":"jdoe@acme.com","email":"jdoe@acme.com","email_verified":true,
			"groups":["Everyone","ml-team"],"given_name":"Jane","family_name":"Doe"}`,
		want: Identity{Subject: "00u1", Username: "jdoe@acme.com", Email: "jdoe@acme.com", EmailVerified: true,
			Name: "Jane Doe", Groups: []string{"Everyone", "ml-team"}, Role: RoleMember, IdP: KindOkta,
			AMR: []string{AMRSSO}, Issuer: "https://acme.okta.com"},
	}, {
		name:   "okta custom authorization server",
		issuer: "https://acme.okta.com/oauth2/default",
		claims: `{"sub":"00u2","preferred_username":"x@acme.com","groups":"ml-team"}`,
		want: Identity{Subject: "00u2", Username: "x@acme.com", Groups: []string{"ml-team"}, Role: RoleMember,
			IdP: KindOkta, AMR: []string{AMRSSO}, Issuer: "https://acme.okta.com/oauth2/default"},
	}, {
		name:   "keycloak groups",
		issuer: "https://sso.example.com/realms/ml",
		claims: `{"sub":"kc-1","preferred_username":"jdoe","groups":["/ml-team","/ml-team"],
			"realm_access":{"roles":["offline_access","uma_authorization"]}}`,
		want: Identity{Subject: "kc-1", Username: "jdoe", Groups: []string{"/ml-team"}, Role: RoleMember,
			IdP: KindKeycloak, AMR: []string{AMRSSO}, Issuer: "https://sso.example.com/realms/ml"},
	}, {
		name:   "keycloak only realm roles",
		issuer: "https://sso.example.com/realms/ml",
		claims: `{"sub":"kc-2","preferred_username":"jdoe","realm_access":{"roles":["wandb-admin","default-roles-ml"]}}`,
		n:      Normalizer{RoleMap: map[string]string{"wandb-admin": RoleAdmin}},
		want: Identity{Subject: "kc-2", Username: "jdoe", Groups: []string{"wandb-admin", "default-roles-ml"},
			Role: RoleAdmin, IdP: KindKeycloak, AMR: []string{AMRSSO}, Issuer: "https://sso.example.com/realms/ml"},
	}, {
		name:   "auth0 namespaced claim via override",
		issuer: "https://acme.eu.auth0.com/",
		n:      Normalizer{GroupsClaim: "https://example.com/groups"},
		claims: `{"sub":"auth0|123","nickname":"jdoe","email":"jdoe@example.com","email_verified":true,
			"https://example.com/groups":["ml-team"]}`,
		want: Identity{Subject: "auth0|123", Username: "jdoe", Email: "jdoe@example.com", EmailVerified: true,
			Groups: []string{"ml-team"}, Role: RoleMember, IdP: KindAuth0, AMR: []string{AMRSSO},
			Issuer: "https://acme.eu.auth0.com/"},
	}, {
		name:   "auth0 without override sends no groups, username falls back to a verified email",
		issuer: "https://acme.auth0.com/",
		claims: `{"sub":"google-oauth2|1","email":"x@example.com","email_verified":true,"https://example.com/groups":["a"]}`,
		want: Identity{Subject: "google-oauth2|1", Username: "x@example.com", Email: "x@example.com", EmailVerified: true,
			Role: RoleMember, IdP: KindAuth0, AMR: []string{AMRSSO}, Issuer: "https://acme.auth0.com/"},
	}, {
		name:   "google with hd",
		issuer: "https://accounts.google.com",
		claims: `{"sub":"1100","iss":"https://accounts.google.com","email":"jdoe@example.com","email_verified":true,
			"hd":"example.com","name":"Zoë Ødegård","groups":["ignored"]}`,
		want: Identity{Subject: "1100", Username: "jdoe@example.com", Email: "jdoe@example.com", EmailVerified: true,
			Name: "Zoë Ødegård", Role: RoleMember, IdP: KindGoogle, AMR: []string{AMRSSO}, HostedDomain: "example.com",
			Issuer: "https://accounts.google.com"},
	}, {
		name:   "generic with names in any script",
		issuer: "https://dex.example.com",
		claims: `{"sub":"u-1","preferred_username":"김지수","name":"김지수","email":"jisu@example.kr","email_verified":true,
			"groups":["연구팀","Zoë's team"]}`,
		want: Identity{Subject: "u-1", Username: "김지수", Name: "김지수", Email: "jisu@example.kr", EmailVerified: true,
			Groups: []string{"연구팀", "Zoë's team"}, Role: RoleMember, IdP: KindOIDC, AMR: []string{AMRSSO},
			Issuer: "https://dex.example.com"},
	}, {
		name:   "generic falls back to email then sub",
		issuer: "https://dex.example.com",
		claims: `{"sub":"only-sub"}`,
		want: Identity{Subject: "only-sub", Username: "only-sub", Role: RoleMember, IdP: KindOIDC,
			AMR: []string{AMRSSO}, Issuer: "https://dex.example.com"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := tt.n.Identity(tt.issuer, parse(t, tt.claims))
			if err != nil {
				t.Fatalf("Identity: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Identity =\n %+v\nwant\n %+v", got, tt.want)
			}
			var codes []string
			for _, w := range warnings {
				codes = append(codes, w.Code)
				if w.Message == "" {
					t.Errorf("warning %q has no message", w.Code)
				}
			}
			if !reflect.DeepEqual(codes, tt.warnings) {
				t.Errorf("warnings = %q, want %q", codes, tt.warnings)
			}
		})
	}
}

func TestOverageWarningTellsWhatToConfigure(t *testing.T) {
	_, warnings, err := Normalizer{}.Identity("https://login.microsoftonline.com/t/v2.0",
		parse(t, `{"sub":"s","_claim_names":{"groups":"src1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 {
		t.Fatalf("got %d warnings, want 1", len(warnings))
	}
	for _, want := range []string{"200 groups", "Token configuration", "Groups assigned to the application", "app roles"} {
		if !strings.Contains(warnings[0].Message, want) {
			t.Errorf("overage message %q does not mention %q", warnings[0].Message, want)
		}
	}
}

func TestIdentityRequiresSubject(t *testing.T) {
	for _, raw := range []string{`{}`, `{"sub":""}`, `{"sub":" \t"}`, `{"sub":{"x":1}}`, `{"email":"a@example.com"}`} {
		_, _, err := Normalizer{}.Identity("https://acme.okta.com", parse(t, raw))
		if !errors.Is(err, ErrNoSubject) {
			t.Errorf("Identity(%s) error = %v, want ErrNoSubject", raw, err)
		}
	}
}

// TestControlCharactersNeverReachHeaderValues: a user name, email or group with a
// control character would make every upstream request of that user fail (Go refuses
// to send such a header); they become spaces, and names in any script stay intact.
func TestControlCharactersNeverReachHeaderValues(t *testing.T) {
	raw := parse(t, `{"sub":"00u1","preferred_username":"ada\r\nX-Admin: 1","email":"ada\u0000@example.com",
		"email_verified":true,"name":"Zoë\u0085김지수","groups":["ml\r\n","a\u007fb","연구팀"]}`)
	id, _, err := Normalizer{}.Identity("https://acme.okta.com", raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ada  X-Admin: 1"; id.Username != want {
		t.Errorf("Username = %q, want %q", id.Username, want)
	}
	if want := "ada @example.com"; id.Email != want {
		t.Errorf("Email = %q, want %q", id.Email, want)
	}
	if want := "Zoë 김지수"; id.Name != want {
		t.Errorf("Name = %q, want %q", id.Name, want)
	}
	if want := []string{"ml", "a b", "연구팀"}; !slices.Equal(id.Groups, want) {
		t.Errorf("Groups = %q, want %q", id.Groups, want)
	}
	if _, _, err := (Normalizer{}).Identity("https://acme.okta.com", parse(t, `{"sub":"\u0000"}`)); !errors.Is(err, ErrNoSubject) {
		t.Errorf("a sub of only a control character: got %v, want ErrNoSubject", err)
	}
}
