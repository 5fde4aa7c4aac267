package claims

import (
	"errors"
	"strings"
	"time"
)

// ErrNoSubject means the claim set has no usable sub claim; such a token names no user.
var ErrNoSubject = errors.New("claims: the ID token has no sub claim")

// Warning codes, for logs and dashboards.
const (
	// WarnGroupOverage: Entra sent an overage marker instead of the user's groups.
	WarnGroupOverage = "entra_group_overage"
	// WarnGroupsMalformed: the groups claim is neither a list nor a string.
	WarnGroupsMalformed = "groups_claim_malformed"
	// WarnEmailUnverified: the token has an email but no email_verified claim (nor
	// what the IdP's profile accepts instead), so the email is not used.
	WarnEmailUnverified = "email_verified_missing"
	// WarnEmailNotVerified: the token says email_verified false, so the email is
	// not used.
	WarnEmailNotVerified = "email_not_verified"
)

// Warning is something the operator should fix at the IdP; the sign-in still works.
// Normalizer.Identity returns them on every sign-in, so a caller logging them may
// want to do so once per code.
type Warning struct {
	Code    string // one of the Warn constants
	Message string // what happened and what to configure, for the operator
}

// Normalizer turns verified ID token claims into an Identity. Its zero value uses
// the IdP's defaults, maps nobody to a role and gives everyone RoleMember.
type Normalizer struct {
	// GroupsClaim and UsernameClaim override the IdP's defaults (OIDC_GROUPS_CLAIM,
	// OIDC_USERNAME_CLAIM). Each is a claim name or a dotted path into nested
	// objects ("realm_access.roles"); a claim whose name itself contains dots
	// ("https://example.com/groups") is taken literally when it exists.
	GroupsClaim   string
	UsernameClaim string

	// Provider is OIDC_PROVIDER: "" or "auto" recognises the IdP from the issuer,
	// a kind applies that IdP's rules (see Resolve).
	Provider string

	RoleMap     map[string]string // group -> RoleAdmin, RoleMember or RoleViewer
	DefaultRole string            // role when no group maps; "" means RoleMember

	// InsecureAllowUnverifiedEmail uses the email claim even when the IdP does not
	// mark it verified (INSECURE_ALLOW_UNVERIFIED_EMAIL). It MUST NOT be set for an
	// IdP whose users can choose their own email address: anyone could then claim
	// anyone's address.
	InsecureAllowUnverifiedEmail bool
}

// Identity normalises raw, the verified ID token's claim set as decoded from JSON,
// for the IdP configured with issuer. The IdP's defaults come from
// Resolve(n.Provider, issuer);
// Identity.Issuer is the token's own iss when present (an Entra multi-tenant issuer
// is a template), else issuer. Groups may be a list, a single string, or a comma-
// or space-separated string. The only error is a missing or blank sub (ErrNoSubject).
func (n Normalizer) Identity(issuer string, raw map[string]any) (Identity, []Warning, error) {
	sub, _ := stringValue(raw["sub"])
	if strings.TrimSpace(headerSafe(sub)) == "" {
		// A blank sub names nobody, and would become a blank user name.
		return Identity{}, nil, ErrNoSubject
	}
	profile := Resolve(n.Provider, issuer)
	var warnings []Warning

	id := Identity{
		Subject:      sub,
		Issuer:       issuer,
		IdP:          profile.Kind,
		AMR:          []string{AMRSSO},
		SessionID:    stringClaim(raw, "sid"),
		HostedDomain: stringClaim(raw, "hd"),
		Email:        headerSafe(stringClaim(raw, "email")),
		Name:         displayName(raw),
	}
	if iss := stringClaim(raw, "iss"); iss != "" {
		id.Issuer = iss
	}
	if secs, ok := numberValue(raw["auth_time"]); ok {
		id.AuthTime = time.Unix(secs, 0).UTC()
	}

	verified, w := emailVerified(profile, raw, id.Email)
	id.EmailVerified = verified
	trusted := verified || n.InsecureAllowUnverifiedEmail
	if w != nil {
		if trusted {
			w.Message = "The IdP did not mark the email address verified; it is used anyway because " +
				"INSECURE_ALLOW_UNVERIFIED_EMAIL=true."
		}
		warnings = append(warnings, *w)
	}
	if !trusted {
		// An address the IdP has not verified could be anyone's: it names nobody.
		id.Email = ""
	}

	id.Username = n.username(profile, raw, trusted)
	if id.Username == "" {
		id.Username = headerSafe(sub)
	}

	groups, gw := n.groups(profile, raw)
	id.Groups = groups
	warnings = append(warnings, gw...)
	if w, ok := overage(raw); ok {
		warnings = append(warnings, w)
	}
	id.Role = n.Role(id.Groups)
	return id, warnings, nil
}

// username is the first non-empty username claim. The email claim counts only when
// the email is trusted, so an unverified address never becomes the user name.
func (n Normalizer) username(p Profile, raw map[string]any, emailTrusted bool) string {
	names := p.UsernameClaims
	if n.UsernameClaim != "" {
		names = []string{n.UsernameClaim}
	}
	for _, name := range names {
		if name == "email" && !emailTrusted {
			continue
		}
		if v, ok := lookup(raw, name); ok {
			if s, ok := stringValue(v); ok && strings.TrimSpace(headerSafe(s)) != "" {
				return strings.TrimSpace(headerSafe(s))
			}
		}
	}
	return ""
}

func (n Normalizer) groups(p Profile, raw map[string]any) ([]string, []Warning) {
	names, merge := p.GroupsClaims, p.MergeGroups
	if n.GroupsClaim != "" {
		names, merge = []string{n.GroupsClaim}, false
	}
	var out []string
	var warnings []Warning
	for _, name := range names {
		v, ok := lookup(raw, name)
		if !ok || v == nil {
			continue
		}
		list, ok := groupList(v)
		if !ok {
			warnings = append(warnings, Warning{
				Code: WarnGroupsMalformed,
				Message: "The groups claim " + quote(name) + " is neither a list nor a string, " +
					"so it was ignored. Point OIDC_GROUPS_CLAIM at a claim that holds group names.",
			})
			continue
		}
		out = append(out, list...)
		if !merge {
			break
		}
	}
	return dedupe(out), warnings
}

// overage reports Entra's group-overage markers: _claim_names/_claim_sources when
// the user is in more than 200 groups, hasgroups when the token travels in a URL
// (the implicit flow) and the user is in more than 6.
func overage(raw map[string]any) (Warning, bool) {
	if has, _ := boolValue(raw["hasgroups"]); has {
		return Warning{Code: WarnGroupOverage, Message: "Entra sent hasgroups=true instead of groups: " +
			"in the implicit flow it puts at most 6 groups in the ID token. In the app registration's " +
			"Token configuration, emit groups as 'Groups assigned to the application' (and assign " +
			"the groups to the enterprise application), use app roles, or set OIDC_AUTH_METHOD=pkce."}, true
	}
	names, _ := raw["_claim_names"].(map[string]any)
	if _, ok := names["groups"]; ok || raw["_claim_sources"] != nil {
		return Warning{Code: WarnGroupOverage, Message: "Entra sent a group-overage marker instead of groups: " +
			"the user is in more than 200 groups. In the app registration's Token configuration, " +
			"emit groups as 'Groups assigned to the application' (and assign the groups to the " +
			"enterprise application), or use app roles."}, true
	}
	return Warning{}, false
}

// displayName is the name claim, else given_name and family_name joined.
func displayName(raw map[string]any) string {
	if name := strings.TrimSpace(headerSafe(stringClaim(raw, "name"))); name != "" {
		return name
	}
	given := strings.TrimSpace(headerSafe(stringClaim(raw, "given_name")))
	family := strings.TrimSpace(headerSafe(stringClaim(raw, "family_name")))
	return strings.TrimSpace(given + " " + family)
}

func quote(s string) string { return "\"" + s + "\"" }
