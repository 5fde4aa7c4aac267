package claims

import (
	"reflect"
	"testing"
)

func TestGroupShapes(t *testing.T) {
	tests := []struct {
		name   string
		claims string
		want   []string
	}{
		{"array", `{"groups":["a","b"]}`, []string{"a", "b"}},
		{"single string", `{"groups":"ml-team"}`, []string{"ml-team"}},
		{"comma separated", `{"groups":"a, b ,c"}`, []string{"a", "b", "c"}},
		{"space separated", `{"groups":"a  b\tc"}`, []string{"a", "b", "c"}},
		{"comma keeps spaces in names", `{"groups":"ML Team, Data Team"}`, []string{"ML Team", "Data Team"}},
		{"list rendered as text", `{"groups":"[a, b]"}`, []string{"a", "b"}},
		{"JSON list as text", `{"groups":"[\"a\",\"b c\"]"}`, []string{"a", "b c"}},
		{"trimmed, deduplicated, order kept", `{"groups":[" b","a","b ","","a"]}`, []string{"b", "a"}},
		{"case is kept distinct", `{"groups":["Admins","admins"]}`, []string{"Admins", "admins"}},
		{"numbers become names, objects are skipped", `{"groups":[42,{"x":1},"a"]}`, []string{"42", "a"}},
		{"empty array", `{"groups":[]}`, nil},
		{"empty string", `{"groups":""}`, nil},
		{"null", `{"groups":null}`, nil},
		{"absent", `{}`, nil},
		{"unicode unchanged", `{"groups":"연구팀,Zoë"}`, []string{"연구팀", "Zoë"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := parse(t, tt.claims)
			raw["sub"] = "s"
			id, warnings, err := Normalizer{}.Identity("https://idp.example.com", raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(id.Groups, tt.want) {
				t.Errorf("Groups = %q, want %q", id.Groups, tt.want)
			}
			if len(warnings) != 0 {
				t.Errorf("warnings = %+v, want none", warnings)
			}
		})
	}
}

func TestMalformedGroupsWarns(t *testing.T) {
	for _, raw := range []string{`{"sub":"s","groups":{"a":true}}`, `{"sub":"s","groups":true}`} {
		id, warnings, err := Normalizer{}.Identity("https://idp.example.com", parse(t, raw))
		if err != nil {
			t.Fatal(err)
		}
		if id.Groups != nil {
			t.Errorf("%s: Groups = %q, want none", raw, id.Groups)
		}
		if len(warnings) != 1 || warnings[0].Code != WarnGroupsMalformed {
			t.Errorf("%s: warnings = %+v, want one %s", raw, warnings, WarnGroupsMalformed)
		}
	}
}

func TestClaimPaths(t *testing.T) {
	const claims = `{"sub":"s",
		"realm_access":{"roles":["r1"]},
		"resource_access":{"wandb":{"roles":["app-admin"]}},
		"https://example.com/groups":["literal"],
		"https://example":{"com/groups":["nested"]},
		"https://acme.io/claims":{"team.names":["dotted-key"]},
		"cognito:groups":["cg"],
		"profile":{"login":"jdoe","id":1234}}`
	tests := []struct {
		groupsClaim, usernameClaim string
		wantGroups                 []string
		wantUser                   string
	}{
		{"realm_access.roles", "", []string{"r1"}, "s"},
		{"resource_access.wandb.roles", "profile.login", []string{"app-admin"}, "jdoe"},
		{"https://example.com/groups", "profile.id", []string{"literal"}, "1234"},
		{"https://acme.io/claims.team.names", "", []string{"dotted-key"}, "s"},
		{"cognito:groups", "", []string{"cg"}, "s"},
		{"realm_access.missing", "profile.missing", nil, "s"},
		{"realm_access", "", nil, "s"}, // an object holds no group names
	}
	for _, tt := range tests {
		t.Run(tt.groupsClaim, func(t *testing.T) {
			n := Normalizer{GroupsClaim: tt.groupsClaim, UsernameClaim: tt.usernameClaim}
			id, _, err := n.Identity("https://idp.example.com", parse(t, claims))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(id.Groups, tt.wantGroups) {
				t.Errorf("Groups = %q, want %q", id.Groups, tt.wantGroups)
			}
			if id.Username != tt.wantUser {
				t.Errorf("Username = %q, want %q", id.Username, tt.wantUser)
			}
		})
	}
}

func TestEmailVerifiedShapes(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{`true`, true}, {`false`, false}, {`"true"`, true}, {`"True"`, true}, {`"false"`, false}, {`"yes"`, false}, {`1`, false},
	}
	for _, tt := range tests {
		raw := parse(t, `{"sub":"s","email":"a@example.com","email_verified":`+tt.value+`}`)
		id, warnings, err := Normalizer{}.Identity("https://cognito-idp.us-east-1.amazonaws.com/p", raw)
		if err != nil {
			t.Fatal(err)
		}
		if id.EmailVerified != tt.want {
			t.Errorf("email_verified %s: EmailVerified = %v, want %v", tt.value, id.EmailVerified, tt.want)
		}
		wantWarnings := 0
		if !tt.want {
			wantWarnings = 1 // the unverified email is dropped, and the caller is told why
		}
		if len(warnings) != wantWarnings {
			t.Errorf("email_verified %s: warnings = %+v, want %d", tt.value, warnings, wantWarnings)
		}
	}
}
