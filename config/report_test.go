package config

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestBadConfigReport pins the full text an operator reads for a configuration with
// many problems at once.
func TestBadConfigReport(t *testing.T) {
	e := map[string]string{
		"OIDC_ISSUER":         "http://idp.example.com",
		"OIDC_AUTH_METHOD":    "oauth",
		"GORILLA_OIDC_SECRET": "gorilla-secret-value",
		"UPSTREAM_URL":        "wandb:8080",
		"PUBLIC_URL":          "wandb.mycompany.com",
		"TLS_CERT_FILE":       "/etc/ssogate/tls.crt",
		"ROLE_MAP":            "wandb-admins=owner,ml-team=member",
		"COOKIE_SECRET":       base64.StdEncoding.EncodeToString([]byte("short-cookie-secret")),
		"SESSION_STORE":       "memcached://user:store-password@cache:11211",
		"SESSION_LENGTH":      "30d",
		"TRUSTED_PROXIES":     "10.0.0.0/8,ingress",
		"LOG_LEVEL":           "verbose",
		"DATA_DIR":            t.TempDir(),
	}
	args := []string{"--log-format=xml", "--default-role", "guest", "--refresh-interval=0"}
	_, err := Load(args, env(e))
	if err == nil {
		t.Fatal("Load succeeded, want a report of problems")
	}
	got := err.Error() + "\n"
	if n := strings.Count(got, "\n"); n < 6 {
		t.Fatalf("report has %d problems, want at least 6:\n%s", n, got)
	}
	for _, secret := range []string{"gorilla-secret-value", "short-cookie-secret", e["COOKIE_SECRET"], "store-password"} {
		if strings.Contains(got, secret) {
			t.Errorf("report contains the secret %q:\n%s", secret, got)
		}
	}

	golden := filepath.Join("testdata", "bad_config.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./config -run TestBadConfigReport -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("report differs from %s (rerun with -update if the change is intended)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// TestSecretsNeverPrint checks every way a Config may be printed or logged.
func TestSecretsNeverPrint(t *testing.T) {
	const clientSecret = "client-secret-9f8e7d"
	cookie := strings.Repeat("cookie-secret-bytes!", 2)
	cookieB64 := base64.StdEncoding.EncodeToString([]byte(cookie))
	c, err := Load(nil, env(minimalEnv(t, map[string]string{
		"OIDC_CLIENT_SECRET": clientSecret,
		"COOKIE_SECRET":      cookieB64,
		"SESSION_STORE":      "redis://:redis-password-42@redis:6379/0",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientSecret.Reveal() != clientSecret || c.CookieSecret.Reveal() != cookie {
		t.Fatalf("secrets not loaded: the test would prove nothing")
	}
	logged := func(h func(*bytes.Buffer) slog.Handler) string {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("loaded", "config", c, "secret", c.ClientSecret)
		return buf.String()
	}
	outputs := []struct{ name, text string }{
		{"%v", fmt.Sprintf("%v", c)},
		{"%+v", fmt.Sprintf("%+v", c)},
		{"%#v", fmt.Sprintf("%#v", c)},
		{"%v of a slice", fmt.Sprintf("%v", []Config{c})},
		{"%+v of pointer", fmt.Sprintf("%+v", &c)},
		{"%#v of secret", fmt.Sprintf("%#v", c.ClientSecret)},
		{"slog JSON", logged(func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) })},
		{"slog text", logged(func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) })},
	}
	for _, o := range outputs {
		for _, secret := range []string{clientSecret, cookie, cookieB64, "redis-password-42"} {
			if strings.Contains(o.text, secret) {
				t.Errorf("%s output contains the secret %q:\n%s", o.name, secret, o.text)
			}
		}
		if !strings.Contains(o.text, "REDACTED") {
			t.Errorf("%s output = %s, want REDACTED in place of the secrets", o.name, o.text)
		}
	}
	if out := outputs[6].text; !strings.Contains(out, `"OIDC_ISSUER":"https://idp.example.com"`) {
		t.Errorf("slog JSON output = %s, want the settings logged by name", out)
	}
}
