package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Problem texts shared by parsing and validation.
const (
	upstreamProblem = "must be an absolute http(s):// or unix:// URL (for example http://wandb:8080)"
	publicProblem   = "must be an absolute http(s):// URL without query or fragment (for example https://wandb.mycompany.com)"
	// The gateway's own paths, its redirects and its cookies are at the root of
	// the host, so it cannot be served under a path prefix.
	publicURLPathProblem = "has a path, but the gateway answers at the root of its host (/oidc/… for itself, every other path for the application): give it a host of its own, e.g. https://wandb.mycompany.com"
	issuerProblem        = "must be an absolute https:// URL without query or fragment, e.g. https://login.microsoftonline.com/TENANT/v2.0"
	levelProblem         = "must be debug, info, warn or error"
	roleProblem          = "must be admin, member or viewer"
)

// Roles a group may map to (the same names as package claims).
const (
	roleAdmin  = "admin"
	roleMember = "member"
	roleViewer = "viewer"
)

// SettingError is one problem with one setting, worded for the operator: the variable,
// the offending value (never a secret's) and what to do.
type SettingError struct {
	Name    string // the variable or flag at fault, e.g. "OIDC_ISSUER"
	Value   string // the offending value as shown; "" when missing or secret
	Problem string // what is wrong and how to fix it
}

// Error reads NAME="value": problem, or NAME problem when no value is shown.
func (e *SettingError) Error() string {
	if e.Value == "" {
		return e.Name + " " + e.Problem
	}
	return fmt.Sprintf("%s=%q: %s", e.Name, e.Value, e.Problem)
}

// Validate reports every problem of the configuration at once, joined with
// errors.Join, each a *SettingError: the values Load could not parse and every rule
// broken. With LOCAL_RESTORE=true the SSO settings that can be fixed on the settings
// page (Savable) are not checked, so that the break-glass admin can get in.
// Validate has no side effects.
func (c Config) Validate() error { return errors.Join(c.report()...) }

// report lists the problems Validate reports.
func (c Config) report() []error {
	var errs []error
	for _, p := range c.allProblems() {
		if c.LocalRestore && isSavable(p.Name) {
			continue
		}
		errs = append(errs, p)
	}
	return errs
}

// ValidateSSO reports the problems of the settings that can be saved on the settings
// page, whether or not LOCAL_RESTORE is set: the check a proposed change must pass.
func (c Config) ValidateSSO() error {
	var errs []error
	for _, p := range c.allProblems() {
		if isSavable(p.Name) {
			errs = append(errs, p)
		}
	}
	return errors.Join(errs...)
}

// allProblems lists the load problems and broken rules in the order of specs.
func (c Config) allProblems() []*SettingError {
	ps := slices.Clone(c.problems)
	ps = append(ps, c.checkSSO()...)
	ps = append(ps, c.checkServing()...)
	ps = append(ps, c.checkSessions()...)
	order := map[string]int{}
	for i, s := range specs() {
		order[s.name] = i
	}
	slices.SortStableFunc(ps, func(a, b *SettingError) int {
		return cmp.Compare(order[baseName(a.Name)], order[baseName(b.Name)])
	})
	return ps
}

// checkSSO checks the identity-provider settings.
func (c Config) checkSSO() []*SettingError {
	var ps []*SettingError
	if c.Issuer == "" {
		ps = append(ps, &SettingError{Name: "OIDC_ISSUER", Problem: "is required (unless LOCAL_RESTORE=true): set it to your IdP's issuer URL, e.g. https://login.microsoftonline.com/TENANT/v2.0"})
	} else if p := issuerProblemFor(c.Issuer); p != "" {
		ps = append(ps, &SettingError{Name: "OIDC_ISSUER", Value: ShowURLText(c.Issuer), Problem: p})
	}
	if EntraMultiTenant(c.Issuer) && len(c.AllowedTenants) == 0 {
		ps = append(ps, &SettingError{Name: "ALLOWED_TENANTS", Problem: "is required with a multi-tenant Entra issuer " +
			"(common or organizations), which otherwise admits every Microsoft tenant: set it to your tenant ID(s), " +
			"e.g. ALLOWED_TENANTS=11111111-2222-3333-4444-555555555555, or use your tenant's own issuer " +
			"https://login.microsoftonline.com/TENANT_ID/v2.0"})
	}
	if c.ClientID == "" {
		ps = append(ps, &SettingError{Name: "OIDC_CLIENT_ID", Problem: "is required (unless LOCAL_RESTORE=true): set it to the client (application) ID registered at your IdP"})
	}
	if c.Provider != "" && !slices.Contains(Providers(), c.Provider) {
		ps = append(ps, &SettingError{Name: "OIDC_PROVIDER", Value: c.Provider,
			Problem: "must be one of " + strings.Join(Providers(), ", ")})
	}
	if c.GraphURL != "" {
		if u, err := url.Parse(c.GraphURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			ps = append(ps, &SettingError{Name: "MICROSOFT_GRAPH_URL", Value: c.GraphURL,
				Problem: "must be an https URL such as https://graph.microsoft.com"})
		}
	}
	if c.AuthMethod != MethodImplicit && c.AuthMethod != MethodPKCE {
		ps = append(ps, &SettingError{Name: "OIDC_AUTH_METHOD", Value: c.AuthMethod, Problem: `must be "implicit" or "pkce"`})
	}
	if !slices.Contains(c.Scopes, "openid") {
		ps = append(ps, &SettingError{Name: "OIDC_SCOPES", Value: strings.Join(c.Scopes, " "), Problem: `must include "openid", e.g. "openid profile email"`})
	}
	for _, g := range slices.Sorted(maps.Keys(c.RoleMap)) {
		if r := c.RoleMap[g]; !validRole(r) {
			ps = append(ps, &SettingError{Name: "ROLE_MAP", Value: showRoleMap(c.RoleMap), Problem: fmt.Sprintf("the role %q of group %q %s", r, g, roleProblem)})
		}
	}
	for _, d := range c.AllowedEmailDomains {
		// A wildcard or an address matches no email's domain: nobody could sign in.
		if strings.ContainsAny(d, "*@/: ") {
			ps = append(ps, &SettingError{Name: "ALLOWED_EMAIL_DOMAINS", Value: strings.Join(c.AllowedEmailDomains, ","),
				Problem: fmt.Sprintf("%q is not a domain: list the exact domains after the @, e.g. example.com,example.org (no wildcards; leave it empty to allow every domain)", d)})
		}
	}
	return ps
}

// issuerProblemFor says what is wrong with a non-empty issuer, or "".
func issuerProblemFor(iss string) string {
	u, err := url.Parse(iss)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return issuerProblem
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "must use https:// (http:// is allowed only for localhost, for development)"
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return issuerProblem
	case strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/.well-known/openid-configuration"):
		return "must be the issuer itself: remove /.well-known/openid-configuration"
	case strings.HasSuffix(u.Hostname(), ".amazoncognito.com"):
		return "is a Cognito domain, not the issuer: use https://cognito-idp.REGION.amazonaws.com/POOL_ID"
	}
	return ""
}

// validRole reports whether r is a role a user can have.
func validRole(r string) bool {
	return r == roleAdmin || r == roleMember || r == roleViewer
}

// checkServing checks the listeners, URLs and files of the gateway.
func (c Config) checkServing() []*SettingError {
	var ps []*SettingError
	if u := c.UpstreamURL; u != nil && !validUpstream(u) {
		ps = append(ps, &SettingError{Name: "UPSTREAM_URL", Value: showURL(u), Problem: upstreamProblem})
	}
	if u := c.PublicURL; u != nil && (u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "") {
		ps = append(ps, &SettingError{Name: "PUBLIC_URL", Value: showURL(u), Problem: publicProblem})
	} else if u != nil && u.Path != "" && u.Path != "/" {
		ps = append(ps, &SettingError{Name: "PUBLIC_URL", Value: showURL(u), Problem: publicURLPathProblem})
	}
	for _, a := range []struct{ name, addr, eg string }{{"LISTEN_ADDR", c.ListenAddr, ":4180"}, {"OPS_ADDR", c.OpsAddr, ":9180"}} {
		if _, port, err := net.SplitHostPort(a.addr); err != nil || port == "" {
			ps = append(ps, &SettingError{Name: a.name, Value: a.addr, Problem: fmt.Sprintf("must be host:port, e.g. %s or 0.0.0.0%s", a.eg, a.eg)})
		}
	}
	if c.ListenAddr != "" && c.ListenAddr == c.OpsAddr {
		ps = append(ps, &SettingError{Name: "OPS_ADDR", Value: c.OpsAddr, Problem: "must differ from LISTEN_ADDR"})
	}
	if p := c.upstreamLoop(); p != "" {
		ps = append(ps, &SettingError{Name: "UPSTREAM_URL", Value: showURL(c.UpstreamURL), Problem: p})
	}
	if c.TLSCertFile != "" && c.TLSKeyFile == "" {
		ps = append(ps, &SettingError{Name: "TLS_KEY_FILE", Problem: "is not set but TLS_CERT_FILE is: set both to serve HTTPS, or neither"})
	}
	if c.TLSKeyFile != "" && c.TLSCertFile == "" {
		ps = append(ps, &SettingError{Name: "TLS_CERT_FILE", Problem: "is not set but TLS_KEY_FILE is: set both to serve HTTPS, or neither"})
	}
	if !validRole(c.DefaultRole) {
		ps = append(ps, &SettingError{Name: "DEFAULT_ROLE", Value: c.DefaultRole, Problem: roleProblem})
	}
	for _, d := range c.AllowedRedirectDomains {
		switch {
		case strings.ContainsAny(d, "/:*@ "):
			ps = append(ps, &SettingError{Name: "ALLOWED_REDIRECT_DOMAINS", Value: strings.Join(c.AllowedRedirectDomains, ","),
				Problem: fmt.Sprintf("%q must be a host name or a .suffix (for *.example.com write .example.com), without scheme, port or path", d)})
		case strings.HasPrefix(d, ".") && isPublicSuffix(d[1:]):
			ps = append(ps, &SettingError{Name: "ALLOWED_REDIRECT_DOMAINS", Value: strings.Join(c.AllowedRedirectDomains, ","),
				Problem: fmt.Sprintf("%q would let sign-in and logout send browsers to any site under %s, which anyone can register: name your own domain, e.g. .example%s", d, d, d)})
		}
	}
	if c.LogoutURL != "" {
		if p := logoutProblem(c.LogoutURL); p != "" {
			ps = append(ps, &SettingError{Name: "OIDC_LOGOUT_URL", Value: ShowURLText(c.LogoutURL), Problem: p})
		}
	}
	if lv := c.LogLevel; lv != slog.LevelDebug && lv != slog.LevelInfo && lv != slog.LevelWarn && lv != slog.LevelError {
		ps = append(ps, &SettingError{Name: "LOG_LEVEL", Value: strings.ToLower(lv.String()), Problem: levelProblem})
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		ps = append(ps, &SettingError{Name: "LOG_FORMAT", Value: c.LogFormat, Problem: `must be "json" or "text"`})
	}
	if c.DataDir == "" {
		ps = append(ps, &SettingError{Name: "DATA_DIR", Problem: "must not be empty: set it to a writable directory, e.g. ./data"})
	}
	return ps
}

// MinIdleTimeout is the shortest SESSION_IDLE_TIMEOUT: stores keep a session's
// last use to the minute, so a shorter one would end sessions in use.
const MinIdleTimeout = 2 * time.Minute

// checkSessions checks the session settings.
func (c Config) checkSessions() []*SettingError {
	var ps []*SettingError
	if n := len(c.CookieSecret); n > 0 && n < 32 {
		ps = append(ps, &SettingError{Name: "COOKIE_SECRET", Problem: fmt.Sprintf(
			`is too short: it decodes to %d bytes and must have at least 32; generate one with "openssl rand -base64 32"`, n)})
	}
	if s := c.SessionStore; s != "cookie" && !isStoreURL(s) {
		ps = append(ps, &SettingError{Name: "SESSION_STORE", Value: ShowURLText(s),
			Problem: `must be "cookie" or a redis://, rediss:// or unix:// URL (for example redis://redis:6379/0)`})
	}
	if s := c.RevocationStore; s != "memory" {
		switch {
		case !isStoreURL(s):
			ps = append(ps, &SettingError{Name: "REVOCATION_STORE", Value: ShowURLText(s),
				Problem: `must be "memory" or a redis://, rediss:// or unix:// URL (for example redis://redis:6379/1)`})
		case c.SessionStore != "cookie":
			ps = append(ps, &SettingError{Name: "REVOCATION_STORE", Value: ShowURLText(s),
				Problem: "is only for SESSION_STORE=cookie: with a Redis session store, logouts already end sessions on every replica; remove REVOCATION_STORE"})
		}
	}
	if c.SessionLength <= 0 {
		ps = append(ps, &SettingError{Name: "SESSION_LENGTH", Value: shortDuration(c.SessionLength), Problem: "must be longer than zero, e.g. 720h"})
	}
	switch d := c.SessionIdleTimeout; {
	case d < 0 || d > 0 && d < MinIdleTimeout:
		ps = append(ps, &SettingError{Name: "SESSION_IDLE_TIMEOUT", Value: shortDuration(d),
			Problem: "must be 0 (off) or at least 2m: a session's last use is kept to the minute, e.g. 30m"})
	case d > 0 && c.SessionLength > 0 && d >= c.SessionLength:
		ps = append(ps, &SettingError{Name: "SESSION_IDLE_TIMEOUT", Value: shortDuration(d),
			Problem: "is not shorter than SESSION_LENGTH (" + shortDuration(c.SessionLength) + "), so it would never end a session: make it shorter, or 0"})
	}
	if c.RefreshInterval <= 0 {
		ps = append(ps, &SettingError{Name: "REFRESH_INTERVAL", Value: shortDuration(c.RefreshInterval), Problem: "must be longer than zero, e.g. 1h"})
	}
	return ps
}
