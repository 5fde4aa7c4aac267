package config

import (
	"slices"
	"strings"
	"testing"
)

func TestRedirectURL(t *testing.T) {
	tests := []struct {
		public string // "" leaves PublicURL nil
		want   string
	}{
		{"", ""},
		{"https://wandb.example.com", "https://wandb.example.com/oidc/callback"},
		{"https://wandb.example.com/", "https://wandb.example.com/oidc/callback"},
		{"http://localhost:4180", "http://localhost:4180/oidc/callback"},
	}
	for _, tt := range tests {
		c := validConfig()
		if tt.public != "" {
			c.PublicURL = mustURL(tt.public)
		}
		if got := c.RedirectURL(); got != tt.want {
			t.Errorf("RedirectURL with PUBLIC_URL %q = %q, want %q", tt.public, got, tt.want)
		}
	}
}

func TestHTTPS(t *testing.T) {
	tests := []struct {
		name      string
		public    string
		cert, key string
		want      bool
	}{
		{name: "nothing set"},
		{name: "https public URL", public: "https://wandb.example.com", want: true},
		{name: "http public URL", public: "http://wandb.example.com"},
		{name: "TLS files", cert: "/tls.crt", key: "/tls.key", want: true},
		{name: "http public URL behind own TLS", public: "http://wandb.example.com", cert: "/tls.crt", key: "/tls.key", want: true},
		{name: "cert alone", cert: "/tls.crt"},
	}
	for _, tt := range tests {
		c := validConfig()
		if tt.public != "" {
			c.PublicURL = mustURL(tt.public)
		}
		c.TLSCertFile, c.TLSKeyFile = tt.cert, tt.key
		if got := c.HTTPS(); got != tt.want {
			t.Errorf("%s: HTTPS() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUsageDocumentsEverySetting(t *testing.T) {
	u := Usage()
	for _, s := range specs() {
		for _, want := range []string{s.name + ", --" + flagName(s.name), s.example} {
			if !strings.Contains(u, want) {
				t.Errorf("Usage lacks %q for %s", want, s.name)
			}
		}
		if s.usage == "" || s.example == "" || (s.def == "" && s.defHelp == "") {
			t.Errorf("%s lacks a meaning, an example or a default", s.name)
		}
		def := s.def
		if s.defHelp != "" {
			def = s.defHelp
		}
		if !strings.Contains(u, "Default: "+def+"\n") {
			t.Errorf("Usage lacks the default %q of %s", def, s.name)
		}
	}
	for _, want := range []string{"OIDC_CLIENT_SECRET_FILE, --oidc-client-secret-file", "COOKIE_SECRET_FILE, --cookie-secret-file", "GORILLA_OIDC_SECRET"} {
		if !strings.Contains(u, want) {
			t.Errorf("Usage lacks %q", want)
		}
	}
	for _, line := range strings.Split(u, "\n") {
		if len(line) > 100 && !strings.Contains(line, "Example: ") {
			t.Errorf("Usage line is %d characters long, want at most 100: %q", len(line), line)
		}
	}
}

func TestEverySettingOfTheDesignIsKnown(t *testing.T) {
	design := []string{
		"OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_AUTH_METHOD", "LOCAL_RESTORE",
		"UPSTREAM_URL", "PUBLIC_URL", "LISTEN_ADDR", "OPS_ADDR", "TLS_CERT_FILE", "TLS_KEY_FILE",
		"OIDC_SCOPES", "OIDC_GROUPS_CLAIM", "OIDC_USERNAME_CLAIM", "ALLOWED_GROUPS", "ALLOWED_EMAIL_DOMAINS",
		"ROLE_MAP", "DEFAULT_ROLE", "COOKIE_SECRET", "SIGNING_KEY_FILE", "SESSION_STORE", "SESSION_LENGTH",
		"TRUSTED_PROXIES", "API_KEY_PASSTHROUGH", "DATA_DIR", "SIGNING_KEY_PREVIOUS_FILE", "ASSERTION_AUDIENCE",
		"ALLOWED_REDIRECT_DOMAINS", "OIDC_LOGOUT_URL", "REFRESH_INTERVAL", "LOG_LEVEL", "LOG_FORMAT",
		"INSECURE_ALLOW_UNVERIFIED_EMAIL", "ALLOWED_TENANTS", "SESSION_IDLE_TIMEOUT",
		"PUBLIC_PATHS",
		"OIDC_PROVIDER", "MICROSOFT_GRAPH_URL", "ENTRA_GROUP_NAMES",
		"REVOCATION_STORE", // not in DESIGN §2: cookie-store replicas sharing IdP logouts (README)
	}
	var names []string
	for _, s := range specs() {
		names = append(names, s.name)
	}
	slices.Sort(names)
	slices.Sort(design)
	if !slices.Equal(names, design) {
		t.Errorf("settings = %v, want those of DESIGN.md §2: %v", names, design)
	}
}

func TestSavable(t *testing.T) {
	want := []string{
		"OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_AUTH_METHOD", "OIDC_SCOPES",
		"OIDC_GROUPS_CLAIM", "OIDC_USERNAME_CLAIM", "ALLOWED_GROUPS", "ALLOWED_EMAIL_DOMAINS", "ROLE_MAP",
		"ALLOWED_TENANTS",
	}
	got := Savable()
	got[0] = "changed by a caller"
	got = Savable()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Savable() = %v, want %v", got, want)
	}
}
