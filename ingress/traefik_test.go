package ingress

import (
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// identityHeaders are the headers ssogate sets on a 200 from /oidc/auth (DESIGN §5).
var identityHeaders = []string{"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups",
	"X-Auth-Request-Role", "X-Auth-Request-Assertion"}

// TestTraefikExample checks deploy/traefik/dynamic.yml without Traefik, which Debian does
// not ship: its forwardAuth middleware asks /oidc/auth?redirect=true, copies every identity
// header, and its authResponseHeadersRegex, which Traefik compiles with Go's regexp and
// matches against Go's canonical request header names to delete client copies, matches
// every forged spelling and nothing else.
func TestTraefikExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "deploy", "traefik", "dynamic.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if got, want := yamlField(t, text, "address"), "http://ssogate:4180/oidc/auth?redirect=true"; got != want {
		t.Errorf("forwardAuth address: got %q, want %q", got, want)
	}
	if got := yamlField(t, text, "trustForwardHeader"); got != "true" {
		t.Errorf("trustForwardHeader: got %q, want true", got)
	}
	if got := yamlList(text, "authResponseHeaders"); !slices.Equal(got, identityHeaders) {
		t.Errorf("authResponseHeaders: got %q, want %q", got, identityHeaders)
	}
	re, err := regexp.Compile(yamlField(t, text, "authResponseHeadersRegex"))
	if err != nil {
		t.Fatalf("authResponseHeadersRegex: %v", err)
	}
	for _, name := range append(slices.Collect(maps.Keys(forged)), identityHeaders...) {
		if key := http.CanonicalHeaderKey(name); !re.MatchString(key) {
			t.Errorf("authResponseHeadersRegex %q does not match %s (sent as %s): a client copy would reach the application", re, key, name)
		}
	}
	for _, name := range []string{"Authorization", "Cookie", "X-Forwarded-For", "X-Auth-Token", "X-Authrequest-User"} {
		if re.MatchString(name) {
			t.Errorf("authResponseHeadersRegex %q matches %s, which is not ssogate's to set", re, name)
		}
	}
}

// yamlField returns the value of the only line "key: value" (unquoted) in text.
func yamlField(t *testing.T, text, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*`+regexp.QuoteMeta(key)+`:\s*(.*?)\s*$`).FindAllStringSubmatch(text, -1)
	if len(m) != 1 {
		t.Fatalf("want one %q field, found %d", key, len(m))
	}
	return strings.Trim(m[0][1], `"`)
}

// yamlList returns the block list "key:\n  - a\n  - b" under key, skipping comments.
func yamlList(text, key string) []string {
	var out []string
	in := false
	for line := range strings.SplitSeq(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == key+":":
			in = true
		case !in || strings.HasPrefix(trimmed, "#"):
		case strings.HasPrefix(trimmed, "- "):
			out = append(out, strings.TrimSpace(strings.TrimPrefix(trimmed, "- ")))
		default:
			return out
		}
	}
	return out
}
