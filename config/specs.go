package config

import (
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// spec describes one setting: its names, default, help text and how it binds to Config.
type spec struct {
	name    string   // environment variable; the flag is its lower-case, dashed form
	def     string   // default, as it would be written in the environment
	defHelp string   // the default in words, when def alone does not say it
	usage   string   // what the setting means
	example string   // a typical value
	secret  bool     // never shown; also read from NAME_FILE
	boolean bool     // the flag may be given without a value
	savable bool     // may be saved on the settings page
	aliases []string // other environment names accepted for it
	bind    binding
}

// specs lists every setting in the order Usage and error reports use.
func specs() []spec {
	return []spec{
		{name: "OIDC_ISSUER", savable: true, defHelp: "required unless LOCAL_RESTORE=true",
			usage:   "Issuer URL of the identity provider; discovery is read from $OIDC_ISSUER/.well-known/openid-configuration.",
			example: "https://login.microsoftonline.com/TENANT/v2.0",
			bind:    text(func(c *Config) *string { return &c.Issuer })},
		{name: "OIDC_CLIENT_ID", savable: true, defHelp: "required unless LOCAL_RESTORE=true",
			usage:   "Client (application) ID registered at the IdP.",
			example: "0oa1b2c3d4e5f6g7h8i9",
			bind:    text(func(c *Config) *string { return &c.ClientID })},
		{name: "OIDC_CLIENT_SECRET", savable: true, secret: true, aliases: []string{"GORILLA_OIDC_SECRET"}, defHelp: "none (public client)",
			usage:   "Client secret, for IdPs that require one (e.g. Entra web apps). Prefer OIDC_CLIENT_SECRET_FILE. W&B's GORILLA_OIDC_SECRET is accepted too.",
			example: "OIDC_CLIENT_SECRET_FILE=/run/secrets/oidc-client-secret",
			bind:    secretText(func(c *Config) *Secret { return &c.ClientSecret })},
		{name: "OIDC_AUTH_METHOD", savable: true, def: MethodImplicit,
			usage:   "Login flow: implicit (id_token by form_post) or pkce (authorization code with PKCE S256).",
			example: MethodPKCE,
			bind:    word(func(c *Config) *string { return &c.AuthMethod })},
		{name: "LOCAL_RESTORE", boolean: true, def: "false",
			usage:   "true: SSO off; a temporary admin password is printed to the log, for signing in at /oidc/restore and fixing the settings. Remove it to turn SSO back on.",
			example: "true",
			bind:    boolean(func(c *Config) *bool { return &c.LocalRestore })},
		{name: "UPSTREAM_URL", defHelp: "none: forward-auth only",
			usage:   "The application behind the gateway: http://, https:// or unix:///path/to.sock.",
			example: "http://wandb:8080",
			bind:    urlValue(func(c *Config) **url.URL { return &c.UpstreamURL }, upstreamProblem, false)},
		{name: "PUBLIC_URL", defHelp: "derived from each request",
			usage:   "External base URL users type; the redirect URI to register at the IdP is $PUBLIC_URL/oidc/callback.",
			example: "https://wandb.mycompany.com",
			bind:    urlValue(func(c *Config) **url.URL { return &c.PublicURL }, publicProblem, true)},
		{name: "LISTEN_ADDR", def: ":4180",
			usage:   "Address of the public listener.",
			example: "0.0.0.0:8443",
			bind:    text(func(c *Config) *string { return &c.ListenAddr })},
		{name: "OPS_ADDR", def: ":9180",
			usage:   "Address of the health (/healthz, /readyz) and metrics (/metrics) listener.",
			example: "127.0.0.1:9180",
			bind:    text(func(c *Config) *string { return &c.OpsAddr })},
		{name: "TLS_CERT_FILE", defHelp: "plain HTTP",
			usage:   "PEM certificate chain; with TLS_KEY_FILE the public listener serves HTTPS, reloading the files when they change.",
			example: "/etc/ssogate/tls.crt",
			bind:    text(func(c *Config) *string { return &c.TLSCertFile })},
		{name: "TLS_KEY_FILE", defHelp: "plain HTTP",
			usage:   "PEM private key for TLS_CERT_FILE.",
			example: "/etc/ssogate/tls.key",
			bind:    text(func(c *Config) *string { return &c.TLSKeyFile })},
		{name: "OIDC_SCOPES", savable: true, def: "openid profile email",
			usage:   "Space-separated scopes to request; must include openid. Add offline_access for refresh tokens (pkce).",
			example: "openid profile email offline_access",
			bind:    scopes(func(c *Config) *[]string { return &c.Scopes })},
		{name: "OIDC_PROVIDER", def: "auto",
			usage:   "Which IdP's claim rules apply: auto (recognised from the issuer's host), entra, okta, cognito, keycloak, auth0, google or generic. Set it for an IdP behind a custom domain.",
			example: "entra",
			bind:    word(func(c *Config) *string { return &c.Provider })},
		{name: "MICROSOFT_GRAPH_URL", defHelp: "from the issuer's cloud (graph.microsoft.com, .us, or the China cloud's)",
			usage:   "Microsoft Graph root for Entra group look-ups (group overage, ENTRA_GROUP_NAMES).",
			example: "https://graph.microsoft.us",
			bind:    text(func(c *Config) *string { return &c.GraphURL })},
		{name: "ENTRA_GROUP_NAMES", boolean: true, def: "false",
			usage:   "true: Entra groups become their display names (read from Microsoft Graph at sign-in) instead of object IDs, so ROLE_MAP and ALLOWED_GROUPS can name them.",
			example: "true",
			bind:    boolean(func(c *Config) *bool { return &c.EntraGroupNames })},
		{name: "OIDC_GROUPS_CLAIM", savable: true, defHelp: "detected from the IdP",
			usage:   "Claim name or dotted path holding the user's groups.",
			example: "realm_access.roles",
			bind:    text(func(c *Config) *string { return &c.GroupsClaim })},
		{name: "OIDC_USERNAME_CLAIM", savable: true, defHelp: "detected from the IdP",
			usage:   "Claim name or dotted path holding the user name.",
			example: "preferred_username",
			bind:    text(func(c *Config) *string { return &c.UsernameClaim })},
		{name: "ALLOWED_GROUPS", savable: true, defHelp: "everyone the IdP signs in",
			usage:   "Comma-separated groups; a signed-in user in none of them gets 403.",
			example: "wandb-users,ml-team",
			bind:    list(func(c *Config) *[]string { return &c.AllowedGroups }, nil)},
		{name: "ALLOWED_EMAIL_DOMAINS", savable: true, defHelp: "everyone the IdP signs in",
			usage:   "Comma-separated e-mail domains; a signed-in user from any other domain gets 403.",
			example: "mycompany.com,subsidiary.com",
			bind:    list(func(c *Config) *[]string { return &c.AllowedEmailDomains }, emailDomain)},
		{name: "ALLOWED_TENANTS", savable: true, defHelp: "none; required with a multi-tenant Entra issuer",
			usage:   "Comma-separated Entra tenant IDs allowed to sign in (the token's tid). Required with a multi-tenant issuer (.../common/v2.0, .../organizations/v2.0).",
			example: "11111111-2222-3333-4444-555555555555",
			bind:    list(func(c *Config) *[]string { return &c.AllowedTenants }, strings.ToLower)},
		{name: "INSECURE_ALLOW_UNVERIFIED_EMAIL", boolean: true, def: "false",
			usage:   "true: use the email claim even when the IdP does not mark it verified. Only for IdPs whose users cannot set their own email: otherwise anyone can sign in as anyone's address.",
			example: "true",
			bind:    boolean(func(c *Config) *bool { return &c.InsecureAllowUnverifiedEmail })},
		{name: "ROLE_MAP", savable: true, defHelp: "none: everyone gets DEFAULT_ROLE",
			usage:   "Comma-separated group=role pairs, roles being admin, member or viewer; the highest role a user's groups give wins.",
			example: "wandb-admins=admin,ml-team=member",
			bind:    roleMap(func(c *Config) *map[string]string { return &c.RoleMap })},
		{name: "DEFAULT_ROLE", def: roleMember,
			usage:   "Role of a signed-in user whom ROLE_MAP gives none: admin, member or viewer.",
			example: roleViewer,
			bind:    word(func(c *Config) *string { return &c.DefaultRole })},
		{name: "COOKIE_SECRET", secret: true, defHelp: "generated once, kept in DATA_DIR",
			usage:   "At least 32 random bytes, base64-encoded, encrypting sessions; replicas must share it. Prefer COOKIE_SECRET_FILE.",
			example: "$(openssl rand -base64 32)",
			bind:    cookieSecret(func(c *Config) *Secret { return &c.CookieSecret })},
		{name: "SIGNING_KEY_FILE", defHelp: "generated once, kept in DATA_DIR",
			usage:   "PEM private key (P-256, Ed25519 or RSA) signing the identity assertion X-Auth-Request-Assertion.",
			example: "/etc/ssogate/signing-key.pem",
			bind:    text(func(c *Config) *string { return &c.SigningKeyFile })},
		{name: "SESSION_STORE", def: "cookie",
			usage:   "cookie (the encrypted identity in the cookie) or a redis://, rediss:// or unix:// URL (Redis or Valkey; the cookie is an opaque ticket; forms and options: docs/sessions.md).",
			example: "redis://redis:6379/0",
			bind:    storeText(func(c *Config) *string { return &c.SessionStore })},
		{name: "REVOCATION_STORE", def: "memory",
			usage:   "With SESSION_STORE=cookie: where IdP logouts (front- and back-channel) are remembered. memory (this replica only) or a redis://, rediss:// or unix:// URL that every replica shares.",
			example: "redis://redis:6379/1",
			bind:    storeText(func(c *Config) *string { return &c.RevocationStore })},
		{name: "SESSION_LENGTH", def: "720h",
			usage:   "How long a sign-in lasts, as a duration (h, m, s).",
			example: "168h",
			bind:    duration(func(c *Config) *time.Duration { return &c.SessionLength })},
		{name: "SESSION_IDLE_TIMEOUT", def: "0",
			usage:   "A session unused this long ends, as a duration (at least 2m; 0: only SESSION_LENGTH counts). Measured to the minute.",
			example: "30m",
			bind:    duration(func(c *Config) *time.Duration { return &c.SessionIdleTimeout })},
		{name: "TRUSTED_PROXIES", def: "127.0.0.0/8,::1/128", defHelp: "loopback only (127.0.0.0/8,::1/128)",
			usage:   "Comma-separated CIDRs or IP addresses whose X-Forwarded-* headers are believed, e.g. the ingress in forward-auth mode.",
			example: "10.0.0.0/8,192.168.1.10",
			bind:    prefixes(func(c *Config) *[]netip.Prefix { return &c.TrustedProxies })},
		{name: "API_KEY_PASSTHROUGH", boolean: true, def: "false",
			usage:   "true: a request with credentials the gateway does not verify itself (HTTP Basic, as the W&B SDK sends its API key; a Bearer token that is not a valid JWT of the configured IdP, as W&B's SCIM and MCP API keys and its identity-federation access tokens) goes upstream without SSO, identity headers stripped, for the upstream to check.",
			example: "true",
			bind:    boolean(func(c *Config) *bool { return &c.APIKeyPassthrough })},
		{name: "PUBLIC_PATHS", defHelp: "none",
			usage:   "Comma-separated upstream paths served without sign-in, identity headers stripped: an exact path, or a subtree ending in /. Matched on the clean, decoded path, case-sensitive, never the query.",
			example: "/oidc/token,/public/",
			bind:    publicPaths(func(c *Config) *[]string { return &c.PublicPaths })},
		{name: "DATA_DIR", def: "./data",
			usage:   "Directory for the saved settings (settings.json) and generated keys.",
			example: "/var/lib/ssogate",
			bind:    text(func(c *Config) *string { return &c.DataDir })},
		{name: "SIGNING_KEY_PREVIOUS_FILE", defHelp: "none",
			usage:   "A retired signing key, still published in /oidc/jwks.json during rotation.",
			example: "/etc/ssogate/signing-key-old.pem",
			bind:    text(func(c *Config) *string { return &c.SigningKeyPreviousFile })},
		{name: "ASSERTION_AUDIENCE", defHelp: "PUBLIC_URL",
			usage:   "The aud claim of the identity assertion.",
			example: "https://wandb.mycompany.com",
			bind:    text(func(c *Config) *string { return &c.AssertionAudience })},
		{name: "ALLOWED_REDIRECT_DOMAINS", defHelp: "none",
			usage:   "Comma-separated hosts (or .suffix) that return URLs may point to besides PUBLIC_URL's host (forward-auth).",
			example: ".mycompany.com,grafana.internal",
			bind:    list(func(c *Config) *[]string { return &c.AllowedRedirectDomains }, strings.ToLower)},
		{name: "OIDC_LOGOUT_URL", defHelp: "end_session_endpoint from discovery",
			usage:   "Logout URL template for IdPs without end_session_endpoint (Cognito), with placeholders {client_id}, {post_logout_redirect_uri} and {id_token_hint}.",
			example: "https://DOMAIN.auth.REGION.amazoncognito.com/logout?client_id={client_id}&logout_uri={post_logout_redirect_uri}",
			bind:    text(func(c *Config) *string { return &c.LogoutURL })},
		{name: "REFRESH_INTERVAL", def: "1h",
			usage:   "How often a pkce session with a refresh token re-validates at the IdP.",
			example: "15m",
			bind:    duration(func(c *Config) *time.Duration { return &c.RefreshInterval })},
		{name: "LOG_LEVEL", def: "info",
			usage:   "debug, info, warn or error.",
			example: "debug",
			bind:    level(func(c *Config) *slog.Level { return &c.LogLevel })},
		{name: "LOG_FORMAT", def: "json",
			usage:   "json or text.",
			example: "text",
			bind:    word(func(c *Config) *string { return &c.LogFormat })},
	}
}

// Savable lists the settings that may be saved on the settings page, which override
// flags and environment.
func Savable() []string {
	var names []string
	for _, s := range specs() {
		if s.savable {
			names = append(names, s.name)
		}
	}
	return names
}

// isSavable reports whether the setting behind name (a variable, a *_FILE variant
// or a flag) may be saved.
func isSavable(name string) bool {
	return slices.Contains(Savable(), baseName(name))
}

// flagName is the flag spelling of a variable: OIDC_ISSUER is oidc-issuer.
func flagName(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// baseName maps a variable, its *_FILE variant or its flag to the setting's name.
func baseName(name string) string {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(name, "-"), "-", "_"))
	for _, s := range specs() {
		if n == s.name || slices.Contains(s.aliases, n) || (s.secret && n == s.name+"_FILE") {
			return s.name
		}
	}
	return n
}
