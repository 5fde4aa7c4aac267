package claims

import (
	"strings"
	"testing"
)

func TestRules(t *testing.T) {
	groups := []string{"ml-team", "wandb-admins"}
	domains := []string{"example.com", "@Example.ORG"}
	user := func(email string, verified bool, groups ...string) Identity {
		return Identity{Subject: "s", Email: email, EmailVerified: verified, Groups: groups, AMR: []string{AMRSSO}}
	}
	tests := []struct {
		name  string
		rules Rules
		id    Identity
		code  string
	}{
		{"no rules allow everyone", Rules{}, user("", false), AllowedAll},
		{"blank entries are no rule", Rules{AllowedGroups: []string{" "}}, user("", false), AllowedAll},
		{"in an allowed group", Rules{AllowedGroups: groups}, user("", false, "x", "ml-team"), AllowedAll},
		{"in no allowed group", Rules{AllowedGroups: groups}, user("", false, "x"), DenyGroup},
		{"no groups at all", Rules{AllowedGroups: groups}, user("", false), DenyGroup},
		{"group names are exact", Rules{AllowedGroups: groups}, user("", false, "ML-Team"), DenyGroup},
		{"allowed domain", Rules{AllowedEmailDomains: domains}, user("a@example.com", true), AllowedAll},
		{"domain case-insensitive", Rules{AllowedEmailDomains: domains}, user("A@EXAMPLE.COM", true), AllowedAll},
		{"entry with @ and capitals", Rules{AllowedEmailDomains: domains}, user("a@example.org", true), AllowedAll},
		{"lookalike domain", Rules{AllowedEmailDomains: domains}, user("a@evil-example.com", true), DenyEmailDomain},
		{"suffix is not the domain", Rules{AllowedEmailDomains: domains}, user("a@example.com.evil.io", true), DenyEmailDomain},
		{"subdomain is another domain", Rules{AllowedEmailDomains: domains}, user("a@mail.example.com", true), DenyEmailDomain},
		{"domain in the local part", Rules{AllowedEmailDomains: domains}, user("example.com@evil.io", true), DenyEmailDomain},
		{"unverified email", Rules{AllowedEmailDomains: domains}, user("a@example.com", false), DenyEmailUnverified},
		{"unverified email, insecure setting", Rules{AllowedEmailDomains: domains, InsecureAllowUnverifiedEmail: true}, user("a@example.com", false), AllowedAll},
		{"no email", Rules{AllowedEmailDomains: domains}, user("", true), DenyEmailMissing},
		{"email without domain", Rules{AllowedEmailDomains: domains}, user("a@", true), DenyEmailMissing},
		{"both: both satisfied", Rules{AllowedGroups: groups, AllowedEmailDomains: domains}, user("a@example.com", true, "ml-team"), AllowedAll},
		{"both: group missing", Rules{AllowedGroups: groups, AllowedEmailDomains: domains}, user("a@example.com", true), DenyGroup},
		{"both: domain wrong", Rules{AllowedGroups: groups, AllowedEmailDomains: domains}, user("a@other.com", true, "ml-team"), DenyEmailDomain},
		{"break-glass admin always allowed", Rules{AllowedGroups: groups, AllowedEmailDomains: domains},
			Identity{Subject: "admin", AMR: []string{AMRLocalRestore}, Role: RoleAdmin}, AllowedLocalRestore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.rules.Check(tt.id)
			if d.Code != tt.code {
				t.Errorf("Check code = %q, want %q", d.Code, tt.code)
			}
			wantAllowed := tt.code == AllowedAll || tt.code == AllowedLocalRestore
			ok, reason := tt.rules.Allow(tt.id)
			if ok != wantAllowed || d.Allowed != wantAllowed {
				t.Errorf("Allow = %v (Check %v), want %v", ok, d.Allowed, wantAllowed)
			}
			if (reason == "") != wantAllowed {
				t.Errorf("reason = %q, want a reason only when refused", reason)
			}
		})
	}
}

func TestRulesReasonsNameTheFix(t *testing.T) {
	r := Rules{AllowedGroups: []string{"ml-team", "wandb-admins"}}
	_, reason := r.Allow(Identity{Subject: "s", Groups: []string{"other"}})
	want := "Your account is not in any of the groups allowed to use this application (ml-team, wandb-admins). Ask your administrator to add you."
	if reason != want {
		t.Errorf("reason = %q, want %q", reason, want)
	}

	many := Rules{AllowedGroups: []string{"a", "b", "c", "d", "e", "f", "g"}}
	_, reason = many.Allow(Identity{Subject: "s"})
	if !strings.Contains(reason, "(a, b, c, d, e and 2 more)") {
		t.Errorf("reason = %q, want the list cut to five names and a count", reason)
	}

	d := Rules{AllowedEmailDomains: []string{"example.com"}}.Check(Identity{Subject: "s", Email: "a@other.io", EmailVerified: true})
	for _, want := range []string{"a@other.io", "example.com", "administrator"} {
		if !strings.Contains(d.Reason, want) {
			t.Errorf("domain reason %q does not mention %q", d.Reason, want)
		}
	}
}

func TestRole(t *testing.T) {
	roleMap := map[string]string{
		"wandb-admins": RoleAdmin,
		"ml-team":      RoleMember,
		"auditors":     RoleViewer,
		"owners":       "owner", // unknown role: ignored
		"Ops":          "ADMIN", // role names are case-insensitive
	}
	tests := []struct {
		name        string
		defaultRole string
		groups      []string
		want        string
	}{
		{"admin beats member and viewer", "", []string{"auditors", "ml-team", "wandb-admins"}, RoleAdmin},
		{"member beats viewer", "", []string{"auditors", "ml-team"}, RoleMember},
		{"viewer alone", RoleMember, []string{"auditors"}, RoleViewer},
		{"mapped role beats a higher default", RoleAdmin, []string{"auditors"}, RoleViewer},
		{"no mapped group: default", RoleViewer, []string{"other"}, RoleViewer},
		{"no groups, empty default: member", "", nil, RoleMember},
		{"unknown role ignored", RoleViewer, []string{"owners"}, RoleViewer},
		{"group names are exact", RoleViewer, []string{"Wandb-Admins", "ops"}, RoleViewer},
		{"role name case-insensitive", "", []string{"Ops"}, RoleAdmin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Normalizer{RoleMap: roleMap, DefaultRole: tt.defaultRole}
			if got := n.Role(tt.groups); got != tt.want {
				t.Errorf("Role(%q) = %q, want %q", tt.groups, got, tt.want)
			}
		})
	}
}
