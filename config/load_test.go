package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env turns a map into a lookupEnv function.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// minimalEnv is a valid configuration with its data directory in a fresh temporary
// directory, plus extra.
func minimalEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	m := map[string]string{
		"OIDC_ISSUER":    "https://idp.example.com",
		"OIDC_CLIENT_ID": "gateway",
		"DATA_DIR":       t.TempDir(),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// writeFile writes content to a new file in a temporary directory and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "value")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// shown returns the displayed value and source of a setting.
func shown(c Config, name string) (string, Source) {
	for _, s := range c.Settings() {
		if s.Name == name {
			return s.Value, s.Source
		}
	}
	return "<no such setting>", ""
}

func TestLoadSourcesAndPrecedence(t *testing.T) {
	secretFile := writeFile(t, "file-secret\n")
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		saved      Saved
		setting    string
		want       string
		wantSource Source
	}{
		{"default", nil, nil, nil, "OIDC_AUTH_METHOD", "implicit", SourceDefault},
		{"default scopes", nil, nil, nil, "OIDC_SCOPES", "openid profile email", SourceDefault},
		{"default listen", nil, nil, nil, "LISTEN_ADDR", ":4180", SourceDefault},
		{"default ops", nil, nil, nil, "OPS_ADDR", ":9180", SourceDefault},
		{"default store", nil, nil, nil, "SESSION_STORE", "cookie", SourceDefault},
		{"default session length", nil, nil, nil, "SESSION_LENGTH", "720h", SourceDefault},
		{"default role", nil, nil, nil, "DEFAULT_ROLE", "member", SourceDefault},
		{"default proxies", nil, nil, nil, "TRUSTED_PROXIES", "127.0.0.0/8,::1/128", SourceDefault},
		{"default refresh", nil, nil, nil, "REFRESH_INTERVAL", "1h", SourceDefault},
		{"default log level", nil, nil, nil, "LOG_LEVEL", "info", SourceDefault},
		{"default log format", nil, nil, nil, "LOG_FORMAT", "json", SourceDefault},
		{"env", map[string]string{"OIDC_AUTH_METHOD": "pkce"}, nil, nil, "OIDC_AUTH_METHOD", "pkce", SourceEnv},
		{"empty env is unset", map[string]string{"OIDC_AUTH_METHOD": ""}, nil, nil, "OIDC_AUTH_METHOD", "implicit", SourceDefault},
		{"flag", nil, []string{"--oidc-auth-method=pkce"}, nil, "OIDC_AUTH_METHOD", "pkce", SourceFlag},
		{"single-dash flag", nil, []string{"-oidc-auth-method", "pkce"}, nil, "OIDC_AUTH_METHOD", "pkce", SourceFlag},
		{"flag over env", map[string]string{"OIDC_AUTH_METHOD": "pkce"}, []string{"--oidc-auth-method=implicit"}, nil,
			"OIDC_AUTH_METHOD", "implicit", SourceFlag},
		{"empty flag over env", map[string]string{"OIDC_GROUPS_CLAIM": "groups"}, []string{"--oidc-groups-claim="}, nil,
			"OIDC_GROUPS_CLAIM", "", SourceFlag},
		{"saved over flag", nil, []string{"--oidc-auth-method=implicit"}, Saved{"OIDC_AUTH_METHOD": "pkce"},
			"OIDC_AUTH_METHOD", "pkce", SourceSaved},
		{"saved over env", map[string]string{"ROLE_MAP": "a=viewer"}, nil, Saved{"ROLE_MAP": "a=admin"},
			"ROLE_MAP", "a=admin", SourceSaved},
		{"bool flag alone", nil, []string{"--api-key-passthrough"}, nil, "API_KEY_PASSTHROUGH", "true", SourceFlag},
		{"bool flag =no", map[string]string{"API_KEY_PASSTHROUGH": "yes"}, []string{"--api-key-passthrough=no"}, nil,
			"API_KEY_PASSTHROUGH", "false", SourceFlag},
		{"bool env yes", map[string]string{"API_KEY_PASSTHROUGH": "yes"}, nil, nil, "API_KEY_PASSTHROUGH", "true", SourceEnv},
		{"secret env", map[string]string{"OIDC_CLIENT_SECRET": "s"}, nil, nil, "OIDC_CLIENT_SECRET", "REDACTED", SourceEnv},
		{"secret alias", map[string]string{"GORILLA_OIDC_SECRET": "s"}, nil, nil, "OIDC_CLIENT_SECRET", "REDACTED", SourceEnv},
		{"secret env file", map[string]string{"OIDC_CLIENT_SECRET_FILE": secretFile}, nil, nil, "OIDC_CLIENT_SECRET", "REDACTED", SourceFile},
		{"secret flag file", nil, []string{"--oidc-client-secret-file", secretFile}, nil, "OIDC_CLIENT_SECRET", "REDACTED", SourceFile},
		{"secret unset", nil, nil, nil, "OIDC_CLIENT_SECRET", "", SourceDefault},
		{"non-savable setting in env", map[string]string{"UPSTREAM_URL": "http://wandb:8080"}, nil, nil,
			"UPSTREAM_URL", "http://wandb:8080", SourceEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := minimalEnv(t, tt.env)
			if tt.saved != nil {
				if err := WriteSaved(e["DATA_DIR"], tt.saved); err != nil {
					t.Fatal(err)
				}
			}
			c, err := Load(tt.args, env(e))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.SavedError != nil {
				t.Fatalf("SavedError: %v", c.SavedError)
			}
			got, gotSource := shown(c, tt.setting)
			if got != tt.want || gotSource != tt.wantSource {
				t.Errorf("%s = %q from %q, want %q from %q", tt.setting, got, gotSource, tt.want, tt.wantSource)
			}
		})
	}
}

func TestLoadRecordsEverySource(t *testing.T) {
	c, err := Load(nil, env(minimalEnv(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range specs() {
		want := SourceDefault
		if s.name == "OIDC_ISSUER" || s.name == "OIDC_CLIENT_ID" || s.name == "DATA_DIR" {
			want = SourceEnv
		}
		if got := c.Sources[s.name]; got != want {
			t.Errorf("Sources[%s] = %q, want %q", s.name, got, want)
		}
	}
	if got, want := len(c.Sources), len(specs()); got != want {
		t.Errorf("len(Sources) = %d, want %d", got, want)
	}
}

func TestLoadSecretValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"env", map[string]string{"OIDC_CLIENT_SECRET": "from-env"}, nil, "from-env"},
		{"alias", map[string]string{"GORILLA_OIDC_SECRET": "from-alias"}, nil, "from-alias"},
		{"both names, same value", map[string]string{"OIDC_CLIENT_SECRET": "same", "GORILLA_OIDC_SECRET": "same"}, nil, "same"},
		{"file, newline trimmed", map[string]string{"OIDC_CLIENT_SECRET_FILE": writeFile(t, "from-file\n")}, nil, "from-file"},
		{"flag over env file", map[string]string{"OIDC_CLIENT_SECRET_FILE": writeFile(t, "from-file")},
			[]string{"--oidc-client-secret=from-flag"}, "from-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, env(minimalEnv(t, tt.env)))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ClientSecret.Reveal(); got != tt.want {
				t.Errorf("ClientSecret = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadCookieSecretFile(t *testing.T) {
	key := strings.Repeat("k", 32)
	file := writeFile(t, base64.StdEncoding.EncodeToString([]byte(key))+"\n")
	c, err := Load([]string{"--cookie-secret-file=" + file}, env(minimalEnv(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.CookieSecret.Reveal(); got != key {
		t.Errorf("CookieSecret = %q, want %q", got, key)
	}
	if got, want := c.Sources["COOKIE_SECRET"], SourceFile; got != want {
		t.Errorf("Sources[COOKIE_SECRET] = %q, want %q", got, want)
	}
}

func TestLoadSourceProblems(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"secret and its file", map[string]string{"OIDC_CLIENT_SECRET": "a", "OIDC_CLIENT_SECRET_FILE": writeFile(t, "b")}, nil,
			"OIDC_CLIENT_SECRET is set twice, by OIDC_CLIENT_SECRET and OIDC_CLIENT_SECRET_FILE: keep only one"},
		{"secret and alias differ", map[string]string{"OIDC_CLIENT_SECRET": "a", "GORILLA_OIDC_SECRET": "b"}, nil,
			"OIDC_CLIENT_SECRET is set twice, by OIDC_CLIENT_SECRET and GORILLA_OIDC_SECRET: keep only one"},
		{"flag and flag file", nil, []string{"--cookie-secret=x", "--cookie-secret-file=" + writeFile(t, "y")},
			"COOKIE_SECRET is set twice, by --cookie-secret and --cookie-secret-file: keep only one"},
		{"unreadable file", map[string]string{"COOKIE_SECRET_FILE": missing}, nil,
			`COOKIE_SECRET_FILE="` + missing + `": cannot be read: open ` + missing + ": no such file or directory"},
		{"empty file", map[string]string{"OIDC_CLIENT_SECRET_FILE": writeFile(t, "\n")}, nil,
			`OIDC_CLIENT_SECRET_FILE="`},
		{"unknown flag", nil, []string{"--oidc-isuer=https://idp.example.com"}, "command line: flag provided but not defined: -oidc-isuer"},
		{"positional argument", nil, []string{"https://idp.example.com"}, `command line: unexpected argument "https://idp.example.com"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, env(minimalEnv(t, tt.env)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		_, err := Load([]string{arg}, env(nil))
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("Load(%q) error = %v, want flag.ErrHelp", arg, err)
		}
	}
}

func TestLoadParseErrorDoesNotStopLaterSettings(t *testing.T) {
	c, err := Load([]string{"--log-format=xml"}, env(minimalEnv(t, map[string]string{
		"OIDC_AUTH_METHOD": "oauth", "SESSION_LENGTH": "forever",
	})))
	want := []string{
		`OIDC_AUTH_METHOD="oauth": must be "implicit" or "pkce"`,
		`SESSION_LENGTH="forever": must be a duration in h, m or s, such as 720h (30 days), 90m or 30s`,
		`LOG_FORMAT="xml": must be "json" or "text"`,
	}
	if got := errLines(err); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Load problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := shortDuration(c.SessionLength), "720h"; got != want {
		t.Errorf("SessionLength after a bad value = %s, want the default %s", got, want)
	}
}

// errLines splits a joined error into its lines; nil has none.
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}
