package docscheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/config"
)

// notSettings are variables the files may name that are not the gateway's settings.
var notSettings = map[string]string{
	"HOST":                          "W&B Server's own setting (its public URL), given to the W&B container",
	"HTTPS_PROXY":                   "Go's HTTP client: reach the IdP through a proxy (chart example)",
	"HTTP_PROXY":                    "Go's HTTP client: reach the IdP through a proxy",
	"NO_PROXY":                      "Go's HTTP client: hosts that bypass the proxy (chart example)",
	"SSL_CERT_FILE":                 "Go's TLS: an extra CA bundle for a private IdP (chart example)",
	"VERSION":                       "input of scripts/build.sh (docs/deploy.md)",
	"OUT":                           "input of scripts/build.sh (docs/deploy.md)",
	"CGO_ENABLED":                   "Go build setting scripts/build.sh turns off (docs/deploy.md)",
	"GOGC":                          "Go runtime: the garbage collector's target (README, Performance)",
	"GOMEMLIMIT":                    "Go runtime: a soft memory limit (README, Performance)",
	"TENANT_ID":                     "README's shell variable holding the Entra tenant ID",
	"SCREENSHOT_DIR":                "where go test ./e2e/pages keeps its screenshots (README)",
	"SSOGATE_E2E_STRICT":            "tests: a missing test dependency fails instead of skipping (README, Tests; .ci/run)",
	"SSOGATE_TESTCLOCK_FILE":        "tests: the session clock of a binary built with -tags testclock only (README, Tests)",
	"SSOGATE_TESTCLOCK_TOKENS_FILE": "tests: the token-checking clock of a binary built with -tags testclock only (README, Tests; docs/interop.md)",
	"WANDB_API_KEY":                 "the W&B SDK's own variable for the API key (docs/forward-auth.md)",
	"WANDB_IDENTITY_TOKEN_FILE":     "the W&B SDK's own variable for identity federation (docs/wandb.md)",
	"SSOGATE_IDP_CACHE":             ".ci/idps.sh: where the interop providers are cached (docs/interop.md)",
	"HOME":                          "the user's home directory, the default of SSOGATE_IDP_CACHE (docs/interop.md)",
	"DSN":                           "Ory Hydra's own database setting (docs/interop.md)",
	"SERVE_COOKIES_SAME_SITE_MODE":  "Ory Hydra's own setting (docs/interop.md)",
	"SQA_OPT_OUT":                   "Ory Hydra's own setting: no usage statistics (docs/interop.md)",
	"URLS_SELF_ISSUER":              "Ory Hydra's own setting: its issuer (docs/interop.md)",
	"URLS_LOGIN":                    "Ory Hydra's own setting: the login app's URL (docs/interop.md)",
	"URLS_CONSENT":                  "Ory Hydra's own setting: the consent app's URL (docs/interop.md)",
	"URLS_LOGOUT":                   "Ory Hydra's own setting: the logout app's URL (docs/interop.md)",
	"SECRETS_SYSTEM":                "Ory Hydra's own setting: its system secret (docs/interop.md)",

	// Placeholders of the ingress examples (deploy/nginx, deploy/caddy, docs/forward-auth.md).
	"NAME":                     "the placeholder syntax itself, ${NAME} and {$NAME}",
	"LISTEN":                   "nginx template: what the server listens on",
	"SSOGATE_ADDR":             "nginx and Caddy: the gateway's host:port",
	"UPSTREAM_ADDR":            "nginx and Caddy: the application's host:port",
	"SITE_ADDRESS":             "Caddy: the site address",
	"CADDY_ADMIN":              "Caddy: its admin endpoint",
	"HTTP_X_AUTH_REQUEST_USER": "the CGI spelling of a header, not a variable we read",
}

// Where a variable is named: "- name: X" (Kubernetes env), "X: value" (an env map in
// YAML), "X=value", "$X" and "${X}", and `X` in backticks when X has an underscore.
var references = []*regexp.Regexp{
	regexp.MustCompile(`(?m)^\s*- name: ([A-Z][A-Z0-9_]*)\s*$`),
	regexp.MustCompile(`(?m)^\s+-?\s*([A-Z][A-Z0-9_]+):(?:\s|$)`),
	regexp.MustCompile(`(?m)(?:^|[\s` + "`" + `"'(\[;|&])-?([A-Z][A-Z0-9_]*)=`),
	regexp.MustCompile(`\$\{?([A-Z][A-Z0-9_]*)`),
	regexp.MustCompile("`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`"),
}

// names returns the variables text names, each once, in order of appearance.
func names(text string) []string {
	var out []string
	for _, re := range references {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// knownSettings parses config.Usage: each setting, its *_FILE variant, its aliases.
func knownSettings(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`(?m)^  ([A-Z][A-Z0-9_]*)(?:, --|  \(accepted as well\)|  \(environment only\))`)
	known := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(config.Usage(), -1) {
		known[m[1]] = true
	}
	if !known["OIDC_ISSUER"] || !known["OIDC_CLIENT_SECRET_FILE"] || !known["GORILLA_OIDC_SECRET"] || !known["OTEL_EXPORTER_OTLP_ENDPOINT"] {
		t.Fatalf("could not read the settings from config.Usage(); found %d", len(known))
	}
	return known
}

func TestNames(t *testing.T) {
	text := "env:\n  - name: OIDC_ISSUR\n    value: x\nenvironment:\n  COOKIE_SECRETT: ${SESSION_STOR}\n" +
		"Set `LOG_LEVELL=debug` or `ALLOWED_GROUP`; export PUBLIC_URLL=https://x\n" +
		"https://cognito-idp.REGION.amazonaws.com/POOL_ID and `GET` are not variables.\n"
	want := []string{"OIDC_ISSUR", "COOKIE_SECRETT", "LOG_LEVELL", "PUBLIC_URLL", "SESSION_STOR", "ALLOWED_GROUP"}
	got := names(text)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("names() = %v, want %v", got, want)
	}
}

// filesUnder returns the files under root's dirs that keep accepts.
func filesUnder(t *testing.T, root string, dirs []string, keep func(path string) bool) []string {
	t.Helper()
	var files []string
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && keep(p) {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func TestDocumentedVariablesAreSettings(t *testing.T) {
	known := knownSettings(t)
	root := filepath.Join("..", "..")
	// Go sources and images (docs/screenshots) name no settings.
	files := append([]string{filepath.Join(root, "README.md")}, filesUnder(t, root, []string{"deploy", "docs"}, func(p string) bool {
		return !strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, ".png")
	})...)
	seen := map[string]bool{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		for _, name := range names(string(b)) {
			seen[name] = true
			if _, ok := notSettings[name]; !known[name] && !ok {
				t.Errorf("%s names %s, which is not a gateway setting (ssogate --help)", rel, name)
			}
		}
	}
	// Guard against a scan that silently finds nothing.
	for _, name := range []string{"OIDC_ISSUER", "OIDC_CLIENT_ID", "PUBLIC_URL", "UPSTREAM_URL"} {
		if !seen[name] {
			t.Errorf("no file names %s; is the scan reading deploy/, docs/ and README.md?", name)
		}
	}
}
