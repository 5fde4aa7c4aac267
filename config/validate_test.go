package config

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// validConfig is a complete, valid configuration built by hand.
func validConfig() Config {
	return Config{
		Issuer: "https://idp.example.com", ClientID: "gateway", AuthMethod: MethodImplicit,
		Scopes: []string{"openid", "profile", "email"}, ListenAddr: ":4180", OpsAddr: ":9180",
		DefaultRole: roleMember, SessionStore: "cookie", RevocationStore: "memory", SessionLength: 720 * time.Hour,
		RefreshInterval: time.Hour, LogFormat: "json", DataDir: "./data",
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   []string
	}{
		{"valid", func(c *Config) {}, nil},
		{"missing issuer and client", func(c *Config) { c.Issuer, c.ClientID = "", "" }, []string{
			"OIDC_ISSUER is required (unless LOCAL_RESTORE=true): set it to your IdP's issuer URL, e.g. https://login.microsoftonline.com/TENANT/v2.0",
			"OIDC_CLIENT_ID is required (unless LOCAL_RESTORE=true): set it to the client (application) ID registered at your IdP",
		}},
		{"local restore without SSO settings", func(c *Config) { c.LocalRestore, c.Issuer, c.ClientID = true, "", "" }, nil},
		{"local restore with broken SSO settings", func(c *Config) {
			c.LocalRestore, c.Issuer, c.AuthMethod, c.RoleMap = true, "http://idp", "oauth", map[string]string{"g": "root"}
		}, nil},
		{"local restore still checks the rest", func(c *Config) { c.LocalRestore, c.LogFormat = true, "xml" },
			[]string{`LOG_FORMAT="xml": must be "json" or "text"`}},
		{"issuer over http", func(c *Config) { c.Issuer = "http://idp.example.com" },
			[]string{`OIDC_ISSUER="http://idp.example.com": must use https:// (http:// is allowed only for localhost, for development)`}},
		{"issuer on localhost", func(c *Config) { c.Issuer = "http://localhost:5556/dex" }, nil},
		{"issuer on 127.0.0.1", func(c *Config) { c.Issuer = "http://127.0.0.1:8080" }, nil},
		{"issuer on ::1", func(c *Config) { c.Issuer = "http://[::1]:8080/realms/x" }, nil},
		{"issuer without scheme", func(c *Config) { c.Issuer = "idp.example.com" }, []string{`OIDC_ISSUER="idp.example.com": ` + issuerProblem}},
		{"issuer with query", func(c *Config) { c.Issuer = "https://idp.example.com/?tenant=x" },
			[]string{`OIDC_ISSUER="https://idp.example.com/?tenant=x": ` + issuerProblem}},
		{"issuer with discovery path", func(c *Config) { c.Issuer = "https://idp.example.com/.well-known/openid-configuration" },
			[]string{`OIDC_ISSUER="https://idp.example.com/.well-known/openid-configuration": must be the issuer itself: remove /.well-known/openid-configuration`}},
		{"cognito domain as issuer", func(c *Config) { c.Issuer = "https://myapp.auth.us-east-1.amazoncognito.com" },
			[]string{`OIDC_ISSUER="https://myapp.auth.us-east-1.amazoncognito.com": is a Cognito domain, not the issuer: use https://cognito-idp.REGION.amazonaws.com/POOL_ID`}},
		{"auth method", func(c *Config) { c.AuthMethod = "oauth" }, []string{`OIDC_AUTH_METHOD="oauth": must be "implicit" or "pkce"`}},
		{"provider", func(c *Config) { c.Provider = "azure" },
			[]string{`OIDC_PROVIDER="azure": must be one of auto, entra, okta, cognito, keycloak, auth0, google, generic`}},
		{"provider entra", func(c *Config) { c.Provider = "entra" }, nil},
		{"scopes without openid", func(c *Config) { c.Scopes = []string{"profile", "email"} },
			[]string{`OIDC_SCOPES="profile email": must include "openid", e.g. "openid profile email"`}},
		{"role map role", func(c *Config) { c.RoleMap = map[string]string{"a": "admin", "ml": "owner"} },
			[]string{`ROLE_MAP="a=admin,ml=owner": the role "owner" of group "ml" must be admin, member or viewer`}},
		{"default role", func(c *Config) { c.DefaultRole = "guest" }, []string{`DEFAULT_ROLE="guest": must be admin, member or viewer`}},
		{"upstream without scheme", func(c *Config) { c.UpstreamURL = mustURL("wandb:8080") },
			[]string{`UPSTREAM_URL="wandb:8080": must be an absolute http(s):// or unix:// URL (for example http://wandb:8080)`}},
		{"upstream unix socket", func(c *Config) { c.UpstreamURL = mustURL("unix:///run/app.sock") }, nil},
		{"upstream https", func(c *Config) { c.UpstreamURL = mustURL("https://wandb.internal:8443") }, nil},
		{"upstream relative unix path", func(c *Config) { c.UpstreamURL = mustURL("unix:run/app.sock") },
			[]string{`UPSTREAM_URL="unix:run/app.sock": ` + upstreamProblem}},
		{"public URL without scheme", func(c *Config) { c.PublicURL = mustURL("wandb.mycompany.com") },
			[]string{`PUBLIC_URL="wandb.mycompany.com": ` + publicProblem}},
		{"public URL with fragment", func(c *Config) { c.PublicURL = mustURL("https://wandb.mycompany.com/#x") },
			[]string{`PUBLIC_URL="https://wandb.mycompany.com/#x": ` + publicProblem}},
		{"public URL with password", func(c *Config) { c.PublicURL = mustURL("https://u:hunter2@wandb.mycompany.com") },
			[]string{`PUBLIC_URL="https://u:xxxxx@wandb.mycompany.com": ` + publicProblem}},
		{"public URL with a path", func(c *Config) { c.PublicURL = mustURL("https://mycompany.com/wandb") },
			[]string{`PUBLIC_URL="https://mycompany.com/wandb": ` + publicURLPathProblem}},
		{"public URL with a slash", func(c *Config) { c.PublicURL = mustURL("https://wandb.mycompany.com/") }, nil},
		{"listen address", func(c *Config) { c.ListenAddr = "4180" }, []string{`LISTEN_ADDR="4180": must be host:port, e.g. :4180 or 0.0.0.0:4180`}},
		{"same listeners", func(c *Config) { c.OpsAddr = ":4180" }, []string{`OPS_ADDR=":4180": must differ from LISTEN_ADDR`}},
		{"TLS cert only", func(c *Config) { c.TLSCertFile = "/tls.crt" },
			[]string{"TLS_KEY_FILE is not set but TLS_CERT_FILE is: set both to serve HTTPS, or neither"}},
		{"TLS key only", func(c *Config) { c.TLSKeyFile = "/tls.key" },
			[]string{"TLS_CERT_FILE is not set but TLS_KEY_FILE is: set both to serve HTTPS, or neither"}},
		{"TLS both", func(c *Config) { c.TLSCertFile, c.TLSKeyFile = "/tls.crt", "/tls.key" }, nil},
		{"cookie secret too short", func(c *Config) { c.CookieSecret = Secret(strings.Repeat("x", 31)) },
			[]string{`COOKIE_SECRET is too short: it decodes to 31 bytes and must have at least 32; generate one with "openssl rand -base64 32"`}},
		{"redis store", func(c *Config) { c.SessionStore = "redis://:pw@redis:6379/0" }, nil},
		{"rediss store", func(c *Config) { c.SessionStore = "rediss://valkey.internal:6380" }, nil},
		{"other store", func(c *Config) { c.SessionStore = "memcached://u:pw@cache:11211" },
			[]string{`SESSION_STORE="memcached://u:xxxxx@cache:11211": must be "cookie" or a redis://, rediss:// or unix:// URL (for example redis://redis:6379/0)`}},
		{"empty store", func(c *Config) { c.SessionStore = "" },
			[]string{`SESSION_STORE must be "cookie" or a redis://, rediss:// or unix:// URL (for example redis://redis:6379/0)`}},
		{"shared revocation", func(c *Config) { c.RevocationStore = "redis://redis:6379/1" }, nil},
		{"cluster store", func(c *Config) {
			c.SessionStore = "rediss://:pw@cfg.cache.amazonaws.com:6379?cluster=true&addr=node2:6379"
		}, nil},
		{"cluster revocation", func(c *Config) { c.RevocationStore = "redis://node1:6379?cluster=true" }, nil},
		// What a Redis URL's query and path say is redisstore.CheckURL's to judge (main
		// reports it with these problems); the configuration checks its form.
		{"cluster with a database", func(c *Config) { c.SessionStore = "redis://node1:6379/2?cluster=true" }, nil},
		{"unix socket store", func(c *Config) { c.SessionStore = "unix:///run/redis.sock?db=1" }, nil},
		{"unix socket revocation", func(c *Config) { c.RevocationStore = "unix:///run/redis.sock?db=1" }, nil},
		{"unix socket without a path", func(c *Config) { c.SessionStore = "unix://redis" },
			[]string{`SESSION_STORE="unix://redis": must be "cookie" or a redis://, rediss:// or unix:// URL (for example redis://redis:6379/0)`}},
		{"redis without a host", func(c *Config) { c.RevocationStore = "redis:///0" },
			[]string{`REVOCATION_STORE="redis:///0": must be "memory" or a redis://, rediss:// or unix:// URL (for example redis://redis:6379/1)`}},
		{"other revocation store", func(c *Config) { c.RevocationStore = "memcached://u:pw@cache:11211" },
			[]string{`REVOCATION_STORE="memcached://u:xxxxx@cache:11211": must be "memory" or a redis://, rediss:// or unix:// URL (for example redis://redis:6379/1)`}},
		{"revocation store beside redis sessions", func(c *Config) {
			c.SessionStore, c.RevocationStore = "redis://redis:6379/0", "redis://:pw@redis:6379/1"
		}, []string{`REVOCATION_STORE="redis://:xxxxx@redis:6379/1": is only for SESSION_STORE=cookie: with a Redis session store, logouts already end sessions on every replica; remove REVOCATION_STORE`}},
		{"redirect to a top-level domain", func(c *Config) { c.AllowedRedirectDomains = []string{".example.com", ".com"} },
			[]string{`ALLOWED_REDIRECT_DOMAINS=".example.com,.com": ".com" would let sign-in and logout send browsers to any site under .com, which anyone can register: name your own domain, e.g. .example.com`}},
		{"redirect to public suffixes", func(c *Config) { c.AllowedRedirectDomains = []string{".CO.UK", ".github.io."} },
			[]string{
				`ALLOWED_REDIRECT_DOMAINS=".CO.UK,.github.io.": ".CO.UK" would let sign-in and logout send browsers to any site under .CO.UK, which anyone can register: name your own domain, e.g. .example.CO.UK`,
				`ALLOWED_REDIRECT_DOMAINS=".CO.UK,.github.io.": ".github.io." would let sign-in and logout send browsers to any site under .github.io., which anyone can register: name your own domain, e.g. .example.github.io.`}},
		{"redirect to private names", func(c *Config) {
			c.AllowedRedirectDomains = []string{".corp", ".cluster.local", ".example.co.uk", "com", "wandb.example.com"}
		}, nil},
		{"email domains", func(c *Config) { c.AllowedEmailDomains = []string{"example.com", "Example.ORG"} }, nil},
		{"email wildcard and address", func(c *Config) { c.AllowedEmailDomains = []string{"*.example.com", "bob@example.org"} },
			[]string{
				`ALLOWED_EMAIL_DOMAINS="*.example.com,bob@example.org": "*.example.com" is not a domain: list the exact domains after the @, e.g. example.com,example.org (no wildcards; leave it empty to allow every domain)`,
				`ALLOWED_EMAIL_DOMAINS="*.example.com,bob@example.org": "bob@example.org" is not a domain: list the exact domains after the @, e.g. example.com,example.org (no wildcards; leave it empty to allow every domain)`}},
		{"upstream is the listener", func(c *Config) { c.UpstreamURL = mustURL("http://127.0.0.1:4180") },
			[]string{`UPSTREAM_URL="http://127.0.0.1:4180": is the gateway's own LISTEN_ADDR (:4180), so requests would come back to the gateway: set it to the application's address, e.g. http://wandb:8080`}},
		{"upstream is the listener by name", func(c *Config) {
			c.ListenAddr, c.UpstreamURL = "127.0.0.1:8080", mustURL("http://LOCALHOST:8080/base")
		}, []string{`UPSTREAM_URL="http://LOCALHOST:8080/base": is the gateway's own LISTEN_ADDR (127.0.0.1:8080), so requests would come back to the gateway: set it to the application's address, e.g. http://wandb:8080`}},
		{"upstream on port 80", func(c *Config) { c.ListenAddr, c.UpstreamURL = "0.0.0.0:80", mustURL("http://[::1]") },
			[]string{`UPSTREAM_URL="http://[::1]": is the gateway's own LISTEN_ADDR (0.0.0.0:80), so requests would come back to the gateway: set it to the application's address, e.g. http://wandb:8080`}},
		{"upstream elsewhere", func(c *Config) { c.ListenAddr, c.UpstreamURL = "127.0.0.1:4180", mustURL("http://127.0.0.2:4180") }, nil},
		{"upstream on another port", func(c *Config) { c.UpstreamURL = mustURL("http://localhost:8080") }, nil},
		{"upstream of the same port elsewhere", func(c *Config) { c.UpstreamURL = mustURL("http://wandb:4180") }, nil},
		{"idle timeout", func(c *Config) { c.SessionIdleTimeout = 30 * time.Minute }, nil},
		{"idle timeout too short", func(c *Config) { c.SessionIdleTimeout = time.Minute },
			[]string{`SESSION_IDLE_TIMEOUT="1m": must be 0 (off) or at least 2m: a session's last use is kept to the minute, e.g. 30m`}},
		{"idle timeout beyond length", func(c *Config) { c.SessionIdleTimeout, c.SessionLength = 48*time.Hour, 24*time.Hour },
			[]string{`SESSION_IDLE_TIMEOUT="48h": is not shorter than SESSION_LENGTH (24h), so it would never end a session: make it shorter, or 0`}},
		{"session length", func(c *Config) { c.SessionLength = 0 }, []string{`SESSION_LENGTH="0s": must be longer than zero, e.g. 720h`}},
		{"refresh interval", func(c *Config) { c.RefreshInterval = -time.Minute }, []string{`REFRESH_INTERVAL="-1m": must be longer than zero, e.g. 1h`}},
		{"redirect domain wildcard", func(c *Config) { c.AllowedRedirectDomains = []string{"*.example.com"} },
			[]string{`ALLOWED_REDIRECT_DOMAINS="*.example.com": "*.example.com" must be a host name or a .suffix (for *.example.com write .example.com), without scheme, port or path`}},
		{"logout URL placeholder", func(c *Config) {
			c.LogoutURL = "https://d.auth.eu-west-1.amazoncognito.com/logout?client_id={clientid}"
		},
			[]string{`OIDC_LOGOUT_URL="https://d.auth.eu-west-1.amazoncognito.com/logout?client_id={clientid}": unknown placeholder {clientid}: use {client_id}, {post_logout_redirect_uri} or {id_token_hint}`}},
		{"logout URL good", func(c *Config) {
			c.LogoutURL = "https://d.auth.eu-west-1.amazoncognito.com/logout?client_id={client_id}&logout_uri={post_logout_redirect_uri}"
		}, nil},
		{"log level", func(c *Config) { c.LogLevel = 2 }, []string{`LOG_LEVEL="info+2": must be debug, info, warn or error`}},
		{"data dir", func(c *Config) { c.DataDir = "" }, []string{"DATA_DIR must not be empty: set it to a writable directory, e.g. ./data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(&c)
			err := c.Validate()
			if got := errLines(err); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Validate problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var se *SettingError
			if err != nil && !errors.As(err, &se) {
				t.Errorf("Validate error %T holds no *SettingError", err)
			}
		})
	}
}

func TestValidateSSOIgnoresLocalRestore(t *testing.T) {
	c := validConfig()
	c.LocalRestore, c.AuthMethod, c.LogFormat = true, "oauth", "xml"
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "OIDC_AUTH_METHOD") {
		t.Errorf("Validate = %v, want only the LOG_FORMAT problem under LOCAL_RESTORE", err)
	}
	got := errLines(c.ValidateSSO())
	want := []string{`OIDC_AUTH_METHOD="oauth": must be "implicit" or "pkce"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ValidateSSO = %q, want %q", got, want)
	}
}

func TestValidateHasNoSideEffects(t *testing.T) {
	c := validConfig()
	c.PublicURL = mustURL("https://wandb.example.com/")
	c.SessionLength = 0
	before := c.String()
	_ = c.Validate()
	_ = c.ValidateSSO()
	if after := c.String(); after != before {
		t.Errorf("Config after Validate = %s, want unchanged %s", after, before)
	}
}
