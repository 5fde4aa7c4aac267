// Package config holds ssogate's settings: one Config struct, loaded once from saved
// settings, flags, environment (and *_FILE secrets) and defaults, then validated as a whole.
package config

import (
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Auth methods (OIDC_AUTH_METHOD).
const (
	MethodImplicit = "implicit"
	MethodPKCE     = "pkce"
)

// Providers returns the values OIDC_PROVIDER accepts.
func Providers() []string {
	return []string{"auto", "entra", "okta", "cognito", "keycloak", "auth0", "google", "generic"}
}

// Config is every setting of the gateway, parsed into typed fields. Request code
// never parses strings: everything is converted here, at load.
type Config struct {
	Issuer       string // OIDC_ISSUER
	ClientID     string // OIDC_CLIENT_ID
	ClientSecret Secret // OIDC_CLIENT_SECRET, OIDC_CLIENT_SECRET_FILE, GORILLA_OIDC_SECRET
	AuthMethod   string // OIDC_AUTH_METHOD: MethodImplicit or MethodPKCE
	Scopes       []string
	LocalRestore bool // LOCAL_RESTORE

	UpstreamURL *url.URL // UPSTREAM_URL; nil means forward-auth only
	PublicURL   *url.URL // PUBLIC_URL; nil means derived from each request
	ListenAddr  string   // LISTEN_ADDR
	OpsAddr     string   // OPS_ADDR
	TLSCertFile string   // TLS_CERT_FILE
	TLSKeyFile  string   // TLS_KEY_FILE

	Provider            string   // OIDC_PROVIDER: "auto" or a claims kind (entra, okta, …)
	GraphURL            string   // MICROSOFT_GRAPH_URL; "" means the issuer's cloud
	EntraGroupNames     bool     // ENTRA_GROUP_NAMES
	GroupsClaim         string   // OIDC_GROUPS_CLAIM; "" means the IdP's default
	UsernameClaim       string   // OIDC_USERNAME_CLAIM; "" means the IdP's default
	AllowedGroups       []string // ALLOWED_GROUPS
	AllowedEmailDomains []string // ALLOWED_EMAIL_DOMAINS
	AllowedTenants      []string // ALLOWED_TENANTS: Entra tenant IDs, lower-case
	// InsecureAllowUnverifiedEmail is INSECURE_ALLOW_UNVERIFIED_EMAIL.
	InsecureAllowUnverifiedEmail bool
	RoleMap                      map[string]string // ROLE_MAP: group -> role
	DefaultRole                  string            // DEFAULT_ROLE

	CookieSecret           Secret // COOKIE_SECRET (+ _FILE), decoded bytes; empty: generated in DataDir
	SigningKeyFile         string // SIGNING_KEY_FILE
	SigningKeyPreviousFile string // SIGNING_KEY_PREVIOUS_FILE
	AssertionAudience      string // ASSERTION_AUDIENCE; "" means PublicURL

	SessionStore           string         // SESSION_STORE: "cookie" or a redis:// / rediss:// URL
	RevocationStore        string         // REVOCATION_STORE: "memory" or a redis:// / rediss:// URL
	SessionLength          time.Duration  // SESSION_LENGTH
	SessionIdleTimeout     time.Duration  // SESSION_IDLE_TIMEOUT: end sessions unused this long; 0: off
	TrustedProxies         []netip.Prefix // TRUSTED_PROXIES
	APIKeyPassthrough      bool           // API_KEY_PASSTHROUGH
	PublicPaths            []string       // PUBLIC_PATHS: exact paths, or subtrees ending in "/"
	DataDir                string         // DATA_DIR
	AllowedRedirectDomains []string       // ALLOWED_REDIRECT_DOMAINS: hosts or ".suffix"
	LogoutURL              string         // OIDC_LOGOUT_URL template
	RefreshInterval        time.Duration  // REFRESH_INTERVAL

	LogLevel  slog.Level // LOG_LEVEL
	LogFormat string     // LOG_FORMAT: "json" or "text"

	// Sources records where each setting's value came from, by variable name.
	Sources map[string]Source

	// SavedError, when not nil, says why the saved settings (DATA_DIR/settings.json)
	// were not applied; the other sources still were. The gateway starts and reports
	// it on /readyz.
	SavedError error

	// problems are the values Load could not use; Validate reports them.
	problems []*SettingError
}

// Source says where a setting's value came from.
type Source string

// Setting sources, highest precedence first.
const (
	SourceSaved   Source = "saved"
	SourceFlag    Source = "flag"
	SourceEnv     Source = "environment"
	SourceFile    Source = "file"
	SourceDefault Source = "default"
)

// Secret is a sensitive value that never prints: fmt, slog and JSON see "REDACTED".
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "REDACTED"
}

// LogValue hides the value from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText hides the value from encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// GoString hides the value from %#v.
func (s Secret) GoString() string { return "config.Secret(" + strconv.Quote(s.String()) + ")" }

// Reveal returns the secret's value, for the one place that must use it.
func (s Secret) Reveal() string { return string(s) }

// RedirectURL is the redirect URI to register at the IdP: $PUBLIC_URL/oidc/callback,
// or "" when PUBLIC_URL is not set and the URI is derived from each request.
func (c Config) RedirectURL() string {
	if c.PublicURL == nil {
		return ""
	}
	return strings.TrimSuffix(c.PublicURL.String(), "/") + "/oidc/callback"
}

// HTTPS reports whether users reach the gateway over HTTPS: PUBLIC_URL is https://,
// or the gateway serves TLS itself. Cookies are marked Secure when it is true.
func (c Config) HTTPS() bool {
	if c.PublicURL != nil && strings.EqualFold(c.PublicURL.Scheme, "https") {
		return true
	}
	return c.TLSCertFile != "" && c.TLSKeyFile != ""
}
