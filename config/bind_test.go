package config

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestLoadParsesAtTheEdge(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb, 0xff}, 16) // 32 bytes whose base64 uses + / - _ and padding
	pfx := netip.MustParsePrefix
	tests := []struct {
		name  string
		value string
		get   func(Config) any
		want  any
	}{
		{"TRUSTED_PROXIES", " 10.0.0.1, 192.168.0.0/16 ,::1, fd00::/8,",
			func(c Config) any { return c.TrustedProxies },
			[]netip.Prefix{pfx("10.0.0.1/32"), pfx("192.168.0.0/16"), pfx("::1/128"), pfx("fd00::/8")}},
		{"TRUSTED_PROXIES", "10.1.2.3/8,::ffff:10.0.0.9", func(c Config) any { return c.TrustedProxies },
			[]netip.Prefix{pfx("10.0.0.0/8"), pfx("10.0.0.9/32")}},
		{"ROLE_MAP", " wandb-admins = admin , ml-team=Member,,", func(c Config) any { return c.RoleMap },
			map[string]string{"wandb-admins": "admin", "ml-team": "member"}},
		{"ROLE_MAP", "https://example.com/groups/a=b=viewer", func(c Config) any { return c.RoleMap },
			map[string]string{"https://example.com/groups/a=b": "viewer"}},
		{"ALLOWED_GROUPS", " a, ,b ,", func(c Config) any { return c.AllowedGroups }, []string{"a", "b"}},
		{"ALLOWED_EMAIL_DOMAINS", "@MyCompany.com, b.org", func(c Config) any { return c.AllowedEmailDomains },
			[]string{"mycompany.com", "b.org"}},
		{"ALLOWED_REDIRECT_DOMAINS", ".Example.com, grafana.internal", func(c Config) any { return c.AllowedRedirectDomains },
			[]string{".example.com", "grafana.internal"}},
		{"OIDC_SCOPES", " openid  profile,email offline_access", func(c Config) any { return c.Scopes },
			[]string{"openid", "profile", "email", "offline_access"}},
		{"COOKIE_SECRET", base64.StdEncoding.EncodeToString(key), func(c Config) any { return []byte(c.CookieSecret) }, key},
		{"COOKIE_SECRET", base64.RawStdEncoding.EncodeToString(key), func(c Config) any { return []byte(c.CookieSecret) }, key},
		{"COOKIE_SECRET", base64.URLEncoding.EncodeToString(key), func(c Config) any { return []byte(c.CookieSecret) }, key},
		{"COOKIE_SECRET", base64.RawURLEncoding.EncodeToString(key) + "\n", func(c Config) any { return []byte(c.CookieSecret) }, key},
		{"PUBLIC_URL", "https://wandb.example.com/", func(c Config) any { return c.PublicURL.String() }, "https://wandb.example.com"},
		{"PUBLIC_URL", "https://wandb.example.com/", func(c Config) any { return c.RedirectURL() }, "https://wandb.example.com/oidc/callback"},
		{"UPSTREAM_URL", "unix:///run/app.sock", func(c Config) any { return c.UpstreamURL.Path }, "/run/app.sock"},
		{"SESSION_LENGTH", "36h", func(c Config) any { return c.SessionLength }, 36 * time.Hour},
		{"REFRESH_INTERVAL", "90s", func(c Config) any { return c.RefreshInterval }, 90 * time.Second},
		{"LOG_LEVEL", "WARNING", func(c Config) any { return c.LogLevel }, slog.LevelWarn},
		{"LOG_LEVEL", "debug", func(c Config) any { return c.LogLevel }, slog.LevelDebug},
		{"LOG_FORMAT", "Text", func(c Config) any { return c.LogFormat }, "text"},
		{"OIDC_AUTH_METHOD", " PKCE ", func(c Config) any { return c.AuthMethod }, MethodPKCE},
		{"OIDC_ISSUER", " https://idp.example.com/ ", func(c Config) any { return c.Issuer }, "https://idp.example.com/"},
		{"LOCAL_RESTORE", "TRUE", func(c Config) any { return c.LocalRestore }, true},
		{"LOCAL_RESTORE", "1", func(c Config) any { return c.LocalRestore }, true},
		{"LOCAL_RESTORE", "Yes", func(c Config) any { return c.LocalRestore }, true},
		{"LOCAL_RESTORE", "no", func(c Config) any { return c.LocalRestore }, false},
		{"LOCAL_RESTORE", "0", func(c Config) any { return c.LocalRestore }, false},
		{"LOCAL_RESTORE", "false", func(c Config) any { return c.LocalRestore }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			c, err := Load(nil, env(minimalEnv(t, map[string]string{tt.name: tt.value})))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := tt.get(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s=%q parsed to %#v, want %#v", tt.name, tt.value, got, tt.want)
			}
		})
	}
}

func TestLoadParseErrors(t *testing.T) {
	tests := []struct {
		name, value string
		want        string
		get         func(Config) any
		wantDefault any
	}{
		{"SESSION_LENGTH", "30d", `SESSION_LENGTH="30d": must be a duration in h, m or s, such as 720h (30 days), 90m or 30s`,
			func(c Config) any { return c.SessionLength }, 720 * time.Hour},
		{"LOCAL_RESTORE", "maybe", `LOCAL_RESTORE="maybe": must be true or false (1/0 and yes/no work too)`,
			func(c Config) any { return c.LocalRestore }, false},
		{"ROLE_MAP", "admins", `ROLE_MAP="admins": must be group=role pairs separated by commas, e.g. wandb-admins=admin,ml-team=member`,
			func(c Config) any { return c.RoleMap }, map[string]string(nil)},
		{"ROLE_MAP", "a=admin,a=viewer", `ROLE_MAP="a=admin,a=viewer": maps group "a" twice: keep one`,
			func(c Config) any { return c.RoleMap }, map[string]string(nil)},
		{"TRUSTED_PROXIES", "10.0.0.0/33", `TRUSTED_PROXIES="10.0.0.0/33": "10.0.0.0/33" is not a CIDR or IP address: write e.g. 10.0.0.0/8,192.168.1.10`,
			func(c Config) any { return len(c.TrustedProxies) }, 2},
		{"LOG_LEVEL", "verbose", `LOG_LEVEL="verbose": must be debug, info, warn or error`,
			func(c Config) any { return c.LogLevel }, slog.LevelInfo},
		{"COOKIE_SECRET", "not base64!", `COOKIE_SECRET is not valid base64: generate one with "openssl rand -base64 32"`,
			func(c Config) any { return c.CookieSecret }, Secret("")},
		{"PUBLIC_URL", "http://[::1", `PUBLIC_URL="http://[::1": must be an absolute http(s):// URL without query or fragment (for example https://wandb.mycompany.com)`,
			func(c Config) any { return c.PublicURL == nil }, true},
		{"UPSTREAM_URL", "10.0.0.1:8080", `UPSTREAM_URL="10.0.0.1:8080": must be an absolute http(s):// or unix:// URL (for example http://wandb:8080)`,
			func(c Config) any { return c.UpstreamURL == nil }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			c, err := Load(nil, env(minimalEnv(t, map[string]string{tt.name: tt.value})))
			if got := errLines(err); len(got) != 1 || got[0] != tt.want {
				t.Errorf("Load problems = %q, want [%q]", got, tt.want)
			}
			if got := tt.get(c); !reflect.DeepEqual(got, tt.wantDefault) {
				t.Errorf("after a bad %s got %#v, want the default %#v", tt.name, got, tt.wantDefault)
			}
		})
	}
}
