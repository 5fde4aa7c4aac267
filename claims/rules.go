package claims

import (
	"fmt"
	"slices"
	"strings"
)

// Decision codes, for logs; Decision.Reason is the text for the user.
const (
	AllowedAll          = "allowed"
	AllowedLocalRestore = "local_restore"
	DenyGroup           = "group_not_allowed"
	DenyEmailMissing    = "email_missing"
	DenyEmailUnverified = "email_not_verified"
	DenyEmailDomain     = "email_domain_not_allowed"
)

// Rules says who may use the application once the IdP has signed them in
// (ALLOWED_GROUPS, ALLOWED_EMAIL_DOMAINS). An empty list allows everyone; when both
// lists are set a user must satisfy both.
//
// Groups match exactly. An email domain matches the part after the last "@"
// case-insensitively and exactly: "example.com" admits a@example.com and
// a@EXAMPLE.COM, but neither a@evil-example.com nor a@sub.example.com. The domain
// rule needs Identity.EmailVerified: an address the IdP has not verified could be
// anyone's, so it is refused (Entra sends no email_verified; add its optional
// claim xms_edov). The break-glass admin (AMR "local_restore") is always allowed,
// so that the rules cannot lock out the person fixing them.
type Rules struct {
	AllowedGroups       []string
	AllowedEmailDomains []string
	// InsecureAllowUnverifiedEmail lets the domain rule accept an email the IdP has
	// not verified (INSECURE_ALLOW_UNVERIFIED_EMAIL); see Normalizer.
	InsecureAllowUnverifiedEmail bool
}

// Decision is the outcome of Rules.Check.
type Decision struct {
	Allowed bool
	Code    string // AllowedAll, AllowedLocalRestore or a Deny constant, for logs
	Reason  string // for the user, "" when allowed
	// Args are the values Reason names (groups, email, domains), so that a page can
	// say the same in the user's language.
	Args map[string]string
}

// Allow reports whether id may use the application and, when not, why in words
// the user understands. Check also gives a machine-readable code.
func (r Rules) Allow(id Identity) (ok bool, reason string) {
	d := r.Check(id)
	return d.Allowed, d.Reason
}

// Check applies the rules to id.
func (r Rules) Check(id Identity) Decision {
	if slices.Contains(id.AMR, AMRLocalRestore) {
		return Decision{Allowed: true, Code: AllowedLocalRestore}
	}
	if groups := cleanList(r.AllowedGroups, false); len(groups) > 0 {
		if !slices.ContainsFunc(id.Groups, func(g string) bool { return slices.Contains(groups, g) }) {
			return Decision{Code: DenyGroup, Reason: fmt.Sprintf(
				"Your account is not in any of the groups allowed to use this application (%s). "+
					"Ask your administrator to add you.", summarize(groups)),
				Args: map[string]string{"groups": summarize(groups)}}
		}
	}
	if domains := cleanList(r.AllowedEmailDomains, true); len(domains) > 0 {
		if d := r.checkDomain(id, domains); !d.Allowed {
			return d
		}
	}
	return Decision{Allowed: true, Code: AllowedAll}
}

func (r Rules) checkDomain(id Identity, domains []string) Decision {
	at := strings.LastIndexByte(id.Email, '@')
	if at < 0 || at == len(id.Email)-1 {
		return Decision{Code: DenyEmailMissing, Reason: "Your sign-in provider did not share a " +
			"verified email address, which this application needs to check that you belong to an allowed " +
			"organisation. Ask your administrator."}
	}
	if !id.EmailVerified && !r.InsecureAllowUnverifiedEmail {
		return Decision{Code: DenyEmailUnverified, Reason: fmt.Sprintf("Your sign-in provider has "+
			"not confirmed that the email address %s is yours, so this application cannot accept it. "+
			"Verify the address with your sign-in provider, or ask your administrator.", id.Email),
			Args: map[string]string{"email": id.Email}}
	}
	domain := normalizeDomain(id.Email[at+1:])
	if slices.Contains(domains, domain) {
		return Decision{Allowed: true, Code: AllowedAll}
	}
	return Decision{Code: DenyEmailDomain, Reason: fmt.Sprintf("Your email address %s is not in a "+
		"domain allowed to use this application (%s). Sign in with your organisation's account, "+
		"or ask your administrator.", id.Email, summarize(domains)),
		Args: map[string]string{"email": id.Email, "domains": summarize(domains)}}
}

// cleanList trims the entries and drops empty ones; domains are also lower-cased
// and lose a leading "@" and a trailing ".".
func cleanList(list []string, domains bool) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if domains {
			s = normalizeDomain(strings.TrimPrefix(s, "@"))
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func normalizeDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// summarize lists up to five names for a message.
func summarize(names []string) string {
	const shown = 5
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:shown], ", "), len(names)-shown)
}

// roleRank orders the roles; a higher rank wins.
func roleRank(role string) int {
	switch role {
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Role maps groups to a role through RoleMap: the highest of RoleAdmin >
// RoleMember > RoleViewer among the user's mapped groups wins. Group names match
// exactly (Entra object IDs, names in any script); role names are read case-
// insensitively and unknown ones are ignored. With no mapped group the result is
// DefaultRole, and RoleMember when DefaultRole is "".
func (n Normalizer) Role(groups []string) string {
	best := ""
	for _, g := range groups {
		role := strings.ToLower(strings.TrimSpace(n.RoleMap[g]))
		if roleRank(role) > roleRank(best) {
			best = role
		}
	}
	if best != "" {
		return best
	}
	if n.DefaultRole != "" {
		return n.DefaultRole
	}
	return RoleMember
}
