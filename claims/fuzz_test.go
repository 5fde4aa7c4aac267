package claims

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// FuzzNormalizerIdentity: whatever claims a verified token carries and whatever the
// issuer, Identity never panics, never changes its input, answers the same twice,
// and keeps its promises: an error only for a missing sub; an email only when the
// IdP verified it (or INSECURE_ALLOW_UNVERIFIED_EMAIL), and an unverified one never
// as the user name; a non-empty, trimmed user name; groups trimmed, non-empty and
// unique; a known role.
// The seeds are in testdata/fuzz/FuzzNormalizerIdentity: one token shape per IdP.
func FuzzNormalizerIdentity(f *testing.F) {
	f.Fuzz(func(t *testing.T, issuer string, claimsJSON []byte, insecure bool) {
		var raw map[string]any
		if json.Unmarshal(claimsJSON, &raw) != nil {
			return
		}
		before, err := json.Marshal(raw)
		if err != nil {
			return
		}
		n := Normalizer{InsecureAllowUnverifiedEmail: insecure,
			RoleMap: map[string]string{"admins": RoleAdmin, "viewers": RoleViewer, "odd": "superuser"}}
		id, warnings, err := n.Identity(issuer, raw)
		if after, _ := json.Marshal(raw); !bytes.Equal(before, after) {
			t.Fatalf("Identity changed its input: %s became %s", before, after)
		}
		again, warnings2, err2 := n.Identity(issuer, raw)
		if !reflect.DeepEqual(id, again) || !reflect.DeepEqual(warnings, warnings2) || !errors.Is(err2, err) {
			t.Fatalf("two calls disagree: %+v, %v then %+v, %v", id, err, again, err2)
		}
		sub, _ := stringValue(raw["sub"])
		if err != nil {
			if !errors.Is(err, ErrNoSubject) || strings.TrimSpace(headerSafe(sub)) != "" {
				t.Fatalf("error %v for sub %q", err, sub)
			}
			return
		}
		if id.Subject != sub || strings.TrimSpace(headerSafe(sub)) == "" {
			t.Fatalf("Subject %q, want the sub claim %q", id.Subject, sub)
		}
		email := headerSafe(stringClaim(raw, "email"))
		if id.Email != "" && (id.Email != email || !id.EmailVerified && !insecure) {
			t.Fatalf("email %q (claim %q, verified %v, insecure %v) became part of the identity", id.Email, email, id.EmailVerified, insecure)
		}
		if strings.TrimSpace(id.Username) == "" || id.Username != strings.TrimSpace(id.Username) && id.Username != headerSafe(sub) {
			t.Fatalf("user name %q is blank, or untrimmed and not the sub", id.Username)
		}
		if !id.EmailVerified && !insecure && id.Username == strings.TrimSpace(email) && id.Username != headerSafe(sub) && !fromNameClaim(issuer, raw, id.Username) {
			t.Fatalf("the unverified email %q became the user name", email)
		}
		// These become header values and pages: a control character would make every
		// request of this user unsendable upstream.
		for _, v := range append([]string{id.Username, id.Email, id.Name}, id.Groups...) {
			if strings.ContainsFunc(v, unicode.IsControl) {
				t.Fatalf("%q holds a control character", v)
			}
		}
		seen := map[string]bool{}
		for _, g := range id.Groups {
			if g == "" || g != strings.TrimSpace(g) || seen[g] {
				t.Fatalf("groups %q: an empty, untrimmed or repeated name", id.Groups)
			}
			seen[g] = true
		}
		if !slices.Contains([]string{RoleAdmin, RoleMember, RoleViewer}, id.Role) {
			t.Fatalf("role %q is not a known role", id.Role)
		}
		if !slices.Equal(id.AMR, []string{AMRSSO}) {
			t.Fatalf("AMR %q, want [sso]", id.AMR)
		}
		for _, w := range warnings {
			if !slices.Contains([]string{WarnGroupOverage, WarnGroupsMalformed, WarnEmailUnverified, WarnEmailNotVerified}, w.Code) {
				t.Fatalf("warning code %q is not a documented one", w.Code)
			}
		}
	})
}

// fromNameClaim reports whether name is the value of one of the issuer's user name
// claims other than email.
func fromNameClaim(issuer string, raw map[string]any, name string) bool {
	for _, c := range Resolve("", issuer).UsernameClaims {
		if c == "email" {
			continue
		}
		if v, ok := lookup(raw, c); ok {
			if s, ok := stringValue(v); ok && strings.TrimSpace(headerSafe(s)) == name {
				return true
			}
		}
	}
	return false
}
