package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodCompose = `services:
  app:
    image: wandb/local
  ssogate:
    image: ssogate
    environment:
      OIDC_ISSUER: ${OIDC_ISSUER:?required}
      COOKIE_SECRET: ${COOKIE_SECRET}
    depends_on: [app]
`

const goodEnv = "OIDC_ISSUER=https://idp\nCOOKIE_SECRET=\n"

// writeCompose writes a compose file and its .env.example into a temporary directory.
func writeCompose(t *testing.T, compose, env string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	file, envFile := filepath.Join(dir, "docker-compose.yaml"), filepath.Join(dir, ".env.example")
	if err := os.WriteFile(file, []byte(compose), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(envFile, []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, envFile
}

func TestCheckComposeAcceptsValid(t *testing.T) {
	file, env := writeCompose(t, goodCompose, goodEnv)
	if err := CheckCompose(file, env, "ssogate", testSettings); err != nil {
		t.Errorf("CheckCompose(valid) = %v", err)
	}
}

func TestCheckComposeRejects(t *testing.T) {
	cases := []struct {
		name, compose, env, want string
	}{
		{"variable missing from .env.example", goodCompose, "OIDC_ISSUER=x\n", "does not define"},
		{"unused variable in .env.example", goodCompose, goodEnv + "EXTRA=1\n", "does not use"},
		{"unknown setting", strings.Replace(goodCompose, "COOKIE_SECRET:", "COOKIE_SECRETS:", 1), goodEnv, "COOKIE_SECRETS is not a gateway setting"},
		{"schema violation", strings.Replace(goodCompose, "    image: wandb/local", "    image: wandb/local\n    restrat: always", 1), goodEnv, "restrat"},
		{"no gateway service", strings.Replace(goodCompose, "  ssogate:", "  gateway:", 1), goodEnv, `no service "ssogate"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file, env := writeCompose(t, c.compose, c.env)
			err := CheckCompose(file, env, "ssogate", testSettings)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
