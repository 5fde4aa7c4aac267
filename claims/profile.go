package claims

import (
	"net/url"
	"path"
	"slices"
	"strings"
)

// Provider kinds, as recorded in Identity.IdP and Profile.Kind.
const (
	KindCognito  = "cognito"
	KindEntra    = "entra"
	KindOkta     = "okta"
	KindKeycloak = "keycloak"
	KindAuth0    = "auth0"
	KindGoogle   = "google"
	KindOIDC     = "oidc" // any other OpenID Connect provider
)

// Logout styles, as recorded in Profile.LogoutStyle.
const (
	// LogoutDiscovery means the IdP advertises end_session_endpoint in discovery.
	LogoutDiscovery = "discovery"
	// LogoutTemplate means the IdP has no end_session_endpoint; logout needs the
	// OIDC_LOGOUT_URL template (Cognito's /logout on its hosted-UI domain).
	LogoutTemplate = "template"
)

// Profile is an identity provider's defaults: where its ID tokens keep the groups
// and the user name, and how it logs out.
type Profile struct {
	Kind string // one of the Kind constants

	// GroupsClaims are the claims (names or dotted paths) that hold groups. With
	// MergeGroups they are all read and merged in order; otherwise the first one
	// present in the token is used. Empty means the IdP sends no groups by default.
	GroupsClaims []string
	MergeGroups  bool

	// UsernameClaims are tried in order; the first non-empty string wins. The
	// subject is the last resort whatever the list says.
	UsernameClaims []string

	LogoutStyle string // LogoutDiscovery or LogoutTemplate

	// Hint is advice for the operator when the issuer looks like a common
	// misconfiguration of this IdP (for `ssogate doctor`); "" when it looks right.
	Hint string
	// Issuer is the issuer to configure instead, when Hint can name it from the
	// one given (an Entra v1 issuer's tenant); "" otherwise.
	Issuer string
}

// rule recognises an IdP from its issuer. Every non-empty condition must hold:
// hosts are path.Match patterns on the lower-cased host name (any may match).
type rule struct {
	hosts        []string
	pathSuffix   string
	pathContains string
	profile      Profile
	// suggest, when set, derives Profile.Issuer from the matching issuer's host and
	// path; "" when it cannot.
	suggest func(host, path string) string
}

// Hints for issuers that are recognised but wrong. A hint's placeholder issuer is
// replaced by the rule's suggestion when it has one.
const (
	entraV2Placeholder = "https://login.microsoftonline.com/TENANT_ID/v2.0"
	hintEntraV1        = "This is a Microsoft Entra ID v1 issuer. Set OIDC_ISSUER to the v2.0 issuer " +
		entraV2Placeholder + " instead (the app registration's \"OpenID Connect metadata document\" " +
		"minus /.well-known/openid-configuration)."
	hintCognitoDomain = "This is a Cognito hosted-UI domain, not the issuer. The issuer " +
		"is https://cognito-idp.REGION.amazonaws.com/USER_POOL_ID (the user pool's " +
		"\"Token signing key URL\" minus /.well-known/jwks.json)."
)

// profiles is the table of known IdPs, tried in order; the first match wins. It is
// never modified; Detect hands out copies.
var profiles = []rule{
	{
		hosts:   []string{"cognito-idp.*.amazonaws.com"},
		profile: cognito(""),
	},
	{
		hosts:   []string{"*.amazoncognito.com"},
		profile: cognito(hintCognitoDomain),
	},
	{
		hosts:      []string{"login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn"},
		pathSuffix: "/v2.0",
		profile:    entra(""),
	},
	{
		hosts:   []string{"login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn", "sts.windows.net"},
		profile: entra(hintEntraV1),
		suggest: entraV2Issuer,
	},
	{
		hosts: []string{"*.okta.com", "*.oktapreview.com", "*.okta-emea.com"},
		profile: Profile{
			Kind:           KindOkta,
			GroupsClaims:   []string{"groups"},
			UsernameClaims: []string{"preferred_username", "email"},
			LogoutStyle:    LogoutDiscovery,
		},
	},
	{
		pathContains: "/realms/",
		profile: Profile{
			Kind:           KindKeycloak,
			GroupsClaims:   []string{"groups", "realm_access.roles"},
			UsernameClaims: []string{"preferred_username", "email"},
			LogoutStyle:    LogoutDiscovery,
		},
	},
	{
		hosts: []string{"*.auth0.com"},
		profile: Profile{
			Kind:           KindAuth0,
			UsernameClaims: []string{"nickname", "email"},
			LogoutStyle:    LogoutDiscovery,
		},
	},
	{
		hosts: []string{"accounts.google.com"},
		profile: Profile{
			Kind:           KindGoogle,
			UsernameClaims: []string{"email"},
			LogoutStyle:    LogoutDiscovery,
		},
	},
}

func cognito(hint string) Profile {
	return Profile{
		Kind:           KindCognito,
		GroupsClaims:   []string{"cognito:groups"},
		UsernameClaims: []string{"cognito:username", "email"},
		LogoutStyle:    LogoutTemplate,
		Hint:           hint,
	}
}

func entra(hint string) Profile {
	return Profile{
		Kind:           KindEntra,
		GroupsClaims:   []string{"groups", "roles"},
		MergeGroups:    true,
		UsernameClaims: []string{"preferred_username", "email", "upn"},
		LogoutStyle:    LogoutDiscovery,
		Hint:           hint,
	}
}

// generic is the profile of any OIDC provider not in the table.
func generic() Profile {
	return Profile{
		Kind:           KindOIDC,
		GroupsClaims:   []string{"groups"},
		UsernameClaims: []string{"preferred_username", "email"},
		LogoutStyle:    LogoutDiscovery,
	}
}

// Resolve returns the profile of provider, an OIDC_PROVIDER value: "" or "auto"
// recognises the IdP from issuer (Detect); "generic" is any OIDC provider; a kind
// (entra, okta, cognito, keycloak, auth0, google) applies that IdP's rules whatever
// the issuer's host, for IdPs behind a custom domain. An unknown value is treated
// as auto (config rejects it before it gets here).
func Resolve(provider, issuer string) Profile {
	switch provider {
	case "", "auto":
		return Detect(issuer)
	case "generic", KindOIDC:
		return generic()
	}
	for _, r := range profiles {
		if r.profile.Kind == provider && r.profile.Hint == "" {
			out := r.profile
			out.GroupsClaims = slices.Clone(out.GroupsClaims)
			out.UsernameClaims = slices.Clone(out.UsernameClaims)
			return out
		}
	}
	return Detect(issuer)
}

// Detect recognises the IdP from its issuer URL and returns its defaults; an
// unrecognised issuer gets the generic OIDC profile. A missing scheme is read as
// https (Google's tokens say "accounts.google.com").
func Detect(issuer string) Profile {
	raw := strings.TrimSpace(issuer)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return generic()
	}
	host := strings.ToLower(u.Hostname())
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	for _, r := range profiles {
		if r.matches(host, p) {
			out := r.profile
			out.GroupsClaims = slices.Clone(out.GroupsClaims)
			out.UsernameClaims = slices.Clone(out.UsernameClaims)
			if r.suggest != nil {
				if out.Issuer = r.suggest(host, p); out.Issuer != "" {
					out.Hint = strings.Replace(out.Hint, entraV2Placeholder, out.Issuer, 1)
				}
			}
			return out
		}
	}
	return generic()
}

func (r rule) matches(host, p string) bool {
	if r.pathSuffix != "" && !strings.HasSuffix(p, r.pathSuffix) {
		return false
	}
	if r.pathContains != "" && !strings.Contains(p+"/", r.pathContains) {
		return false
	}
	if len(r.hosts) == 0 {
		return true
	}
	for _, pattern := range r.hosts {
		if ok, _ := path.Match(pattern, host); ok {
			return true
		}
	}
	return false
}
