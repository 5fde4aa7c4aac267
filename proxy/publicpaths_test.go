package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// testPublicPaths are the PUBLIC_PATHS of these tests: W&B's token exchange and a subtree.
var testPublicPaths = []string{"/oidc/token", "/public/"}

func TestPublicPathsMatch(t *testing.T) {
	p := NewPublicPaths(testPublicPaths)
	for raw, want := range map[string]bool{
		"/oidc/token": true, "/public/": true, "/public/a/b.css": true, "/oidc/%74oken": true,
		"/public/a%20b": true, "/public/dir/": true,
		"/": false, "": false, "/oidc/token/": false, "/public": false, "/publicity": false,
		"/oidc/tokens": false, "/oidc/token-admin": false, "/OIDC/token": false, "/Public/x": false,
		"/public/../api": false, "/public/%2e%2e/api": false, "/public/%2E%2E/api": false, "/public/./x": false,
		"/public%2F..%2Fapi": false, "/public%2fx": false, "/oidc%2Ftoken": false, "/public/x%5C..": false,
		"//public/x": false, "/public//x": false, "/public/..;/api": false, "/oidc/token;x=1": false,
		"/public/..\\api": false, "/public/%252e%252e/api": false, "/public/%zz": false, "/public/%00": false,
		"oidc/token": false, "/public/%3Bx": false,
	} {
		if got := p.Match(raw); got != want {
			t.Errorf("Match(%q) = %v, want %v", raw, got, want)
		}
	}
	if (PublicPaths{}).Match("/oidc/token") || NewPublicPaths(nil).Match("/") {
		t.Error("an empty PUBLIC_PATHS matched a path")
	}
}

// rawGet sends a request line exactly as written (no client cleans or re-escapes
// target) with the given headers, and returns the response and its body.
func rawGet(t *testing.T, f *fixture, target string, header http.Header) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", f.srv.Listener.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	b.WriteString("GET " + target + " HTTP/1.1\r\nHost: " + f.srv.Listener.Addr().String() + "\r\nConnection: close\r\n")
	_ = header.Write(&b)
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// assertNotPublic sends each target without a session and checks that none reaches
// the upstream: each is refused like any other unsigned API request.
func assertNotPublic(t *testing.T, targets ...string) {
	t.Helper()
	f := newFixture(t, fixtureOptions{publicPaths: testPublicPaths})
	for _, target := range targets {
		resp, body := rawGet(t, f, target, http.Header{"Accept": {"application/json"}})
		if f.hits.Load() != 0 {
			t.Fatalf("GET %s reached the upstream without sign-in (status %d, body %q)", target, resp.StatusCode, body)
		}
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: got %d %q, want 401 (or 400 for a malformed request line)", target, resp.StatusCode, body)
		}
	}
}

func TestPublicPathDotDotNeedsSignIn(t *testing.T) {
	assertNotPublic(t, "/public/../api/runs", "/oidc/token/../../api/runs", "/public/x/../../api/runs")
}

func TestPublicPathEncodedDotDotNeedsSignIn(t *testing.T) {
	assertNotPublic(t, "/public/%2e%2e/api/runs", "/public/%2E%2E/api/runs", "/public/.%2e/api/runs", "/public/%252e%252e/api/runs")
}

func TestPublicPathEncodedSlashNeedsSignIn(t *testing.T) {
	assertNotPublic(t, "/public%2F..%2Fapi/runs", "/api/runs/..%2f..%2fpublic/x", "/oidc%2Ftoken", "/public/x%5C..%5Capi")
}

func TestPublicPathDoubleSlashNeedsSignIn(t *testing.T) {
	assertNotPublic(t, "//oidc/token", "/public//../api/runs", "//public/x")
}

func TestPublicPathSemicolonNeedsSignIn(t *testing.T) {
	assertNotPublic(t, "/public/..;/api/runs", "/oidc/token;jsessionid=x", "/public;/x")
}

func TestPublicPathLongerNameSharingThePrefixNeedsSignIn(t *testing.T) {
	assertNotPublic(t, "/oidc/tokens", "/oidc/token-admin", "/oidc/token/", "/publicity", "/public", "/public-admin/x")
}

func TestPublicPathOtherLetterCaseNeedsSignIn(t *testing.T) {
	assertNotPublic(t, "/OIDC/token", "/oidc/Token", "/Public/x", "/PUBLIC/x")
}

func TestPublicPathQueryIsNeverMatched(t *testing.T) {
	assertNotPublic(t, "/api/runs?/oidc/token", "/api/runs?p=/public/x", "/api/runs#/public/x")
}

// TestPublicPathServedWithoutSignInAndWithoutIdentity: a public path reaches the
// upstream for anyone, with its query and Authorization untouched, and never with an
// identity: not a client's spoofed one, not a signed-in user's.
func TestPublicPathServedWithoutSignInAndWithoutIdentity(t *testing.T) {
	f := newFixture(t, fixtureOptions{publicPaths: testPublicPaths})
	spoofed := http.Header{"Accept": {"application/json"}, "Authorization": {"Basic YXBpOmtleQ=="}}
	for k, v := range spoofedHeaders {
		spoofed[k] = []string{v}
	}
	for _, target := range []string{"/oidc/token", "/oidc/token?grant_type=x", "/public/app.css", "/public/a%20b/"} {
		before := f.hits.Load()
		resp, body := rawGet(t, f, target, spoofed)
		if resp.StatusCode != http.StatusOK || f.hits.Load() != before+1 {
			t.Errorf("anonymous GET %s: got %d %q, want 200 from the upstream", target, resp.StatusCode, body)
			continue
		}
		e := decodeEcho(t, body)
		if e.URI != target || e.Header.Get("Authorization") != "Basic YXBpOmtleQ==" {
			t.Errorf("GET %s: upstream saw %q with Authorization %q, want both untouched", target, e.URI, e.Header.Get("Authorization"))
		}
		if got := identityHeadersSeen(e.Header); len(got) != 0 {
			t.Errorf("GET %s: upstream identity headers %v, want none", target, got)
		}
	}

	b := f.browser()
	b.signIn("/")
	resp, body := b.api("/public/app.css")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed-in GET /public/app.css: got %d %q, want 200", resp.StatusCode, body)
	}
	if got := identityHeadersSeen(decodeEcho(t, body).Header); len(got) != 0 {
		t.Errorf("signed-in GET /public/app.css: upstream identity headers %v, want none on a public path", got)
	}
	// The rest still needs the sign-in, and gets the identity with it.
	if resp, body := b.api("/api/runs"); resp.StatusCode != http.StatusOK || decodeEcho(t, body).Header.Get(HeaderUser) != "alice" {
		t.Errorf("signed-in GET /api/runs: got %d, want 200 with alice's identity", resp.StatusCode)
	}
}

// BenchmarkPublicPathsMatch measures the check every proxied request pays when
// PUBLIC_PATHS is set: a public path, and an ordinary one that is not.
func BenchmarkPublicPathsMatch(b *testing.B) {
	p := NewPublicPaths([]string{"/oidc/token", "/public/", "/static/"})
	for _, path := range []string{"/oidc/token", "/api/v1/runs/abc123/history"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Match(path)
			}
		})
	}
}

// TestForwardAuthPublicPath: behind an ingress the gateway answers /oidc/auth for a
// public path with 200 and no identity, even for a signed-in user, but only when a
// trusted proxy names the path; a trick path still needs the sign-in.
func TestForwardAuthPublicPath(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	elsewhere := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		uri     string
		signIn  bool
		want    int
	}{
		{"public path from a trusted proxy", loopback, "/oidc/token?grant_type=x", false, http.StatusOK},
		{"subtree, signed in: still no identity", loopback, "/public/app.css", true, http.StatusOK},
		{"public path from an untrusted peer", elsewhere, "/oidc/token", false, http.StatusUnauthorized},
		{"dot-dot trick", loopback, "/public/%2e%2e/api/runs", false, http.StatusUnauthorized},
		{"path in the query", loopback, "/api/runs?/oidc/token", false, http.StatusUnauthorized},
	} {
		f := newFixture(t, fixtureOptions{publicPaths: testPublicPaths, trusted: tc.trusted})
		b := f.browser()
		if tc.signIn {
			b.signIn("/")
		}
		req := b.request(http.MethodGet, "/oidc/auth", "application/json", nil)
		req.Header.Set("X-Forwarded-Uri", tc.uri)
		req.Header.Set(HeaderUser, "mallory")
		resp, body := b.do(req)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: got %d %q, want %d", tc.name, resp.StatusCode, body, tc.want)
		}
		for name := range resp.Header {
			if isSpoofable(name) {
				t.Errorf("%s: the answer carries identity header %s, want none", tc.name, name)
			}
		}
	}
}
