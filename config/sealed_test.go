package config

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestLoadOpensTheSealedClientSecret(t *testing.T) {
	const secret = "sealed-secret-41d7"
	raw := []byte("0123456789abcdef0123456789abcdef")
	cookie := base64.StdEncoding.EncodeToString(raw)
	dir := t.TempDir()
	sl, err := NewSealer(raw) // COOKIE_SECRET's bytes, as the gateway decodes them
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSaved(dir, sl.Seal(Saved{"OIDC_CLIENT_SECRET": secret})); err != nil {
		t.Fatal(err)
	}
	load := func(cookieSecret string) Config {
		env := map[string]string{"OIDC_ISSUER": "https://idp.example.com", "OIDC_CLIENT_ID": "gw",
			"DATA_DIR": dir, "COOKIE_SECRET": cookieSecret}
		c, _ := Load(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		return c
	}
	if c := load(cookie); c.SavedError != nil || c.ClientSecret.Reveal() != secret {
		t.Fatalf("with the same COOKIE_SECRET: secret %q, SavedError %v; want the secret opened", c.ClientSecret.Reveal(), c.SavedError)
	}
	c := load(base64.StdEncoding.EncodeToString([]byte("another cookie secret of 32 bytes!")))
	if c.SavedError == nil || !strings.Contains(c.SavedError.Error(), "OIDC_CLIENT_SECRET is sealed with another COOKIE_SECRET") {
		t.Fatalf("with another COOKIE_SECRET: SavedError %v; want one naming the sealed secret", c.SavedError)
	}
	if c.ClientSecret.Reveal() == secret || strings.HasPrefix(c.ClientSecret.Reveal(), sealedPrefix) {
		t.Errorf("with another COOKIE_SECRET: client secret %q, want the environment's (none)", c.ClientSecret.Reveal())
	}
}
