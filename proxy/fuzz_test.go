package proxy

import (
	"net/url"
	"path"
	"strings"
	"testing"
)

// FuzzSafeReturn: whatever rd is, the result is "/", a same-origin path that no
// browser reads as another origin, or an http(s) URL on the public or an allowed host.
// The seeds are in testdata/fuzz/FuzzSafeReturn.
func FuzzSafeReturn(f *testing.F) {
	f.Fuzz(func(t *testing.T, rd string) {
		got := safeReturn(rd, "gw.example", []string{".allowed.example"})
		if got == "/" {
			return
		}
		if strings.HasPrefix(got, "/") {
			dec, _ := url.PathUnescape(got)
			if strings.HasPrefix(got, "//") || strings.HasPrefix(dec, "//") || strings.ContainsAny(got+dec, "\\\t\r\n") {
				t.Fatalf("safeReturn(%q) = %q: a path a browser may read as another origin", rd, got)
			}
			return
		}
		u, err := url.Parse(got)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			t.Fatalf("safeReturn(%q) = %q: not an http(s) URL", rd, got)
		}
		// Host names are case-insensitive: a browser goes to gw.example for gw.eXAmple.
		// ".allowed.example" allows allowed.example itself and every subdomain.
		if h := strings.ToLower(u.Hostname()); h != "gw.example" && h != "allowed.example" && !strings.HasSuffix(h, ".allowed.example") {
			t.Fatalf("safeReturn(%q) = %q: host %q is neither public nor allowed", rd, got, h)
		}
	})
}

// FuzzPublicPaths: whatever the path, as the router hands it over (the escaped path
// of a request target) or as a trusted proxy names it (forward-auth), a match is a
// plain path (decoded, clean, without ";", "\" or "%", no encoded slash) equal to an
// exact entry or inside a subtree; a query never makes a path public.
func FuzzPublicPaths(f *testing.F) {
	p := NewPublicPaths(testPublicPaths)
	f.Fuzz(func(t *testing.T, raw string) {
		checkPublicMatch(t, p, raw)
		if u, err := url.ParseRequestURI(raw); err == nil {
			checkPublicMatch(t, p, u.EscapedPath())
		}
	})
}

// checkPublicMatch fails t when p matches raw but raw is not a plain path under
// testPublicPaths.
func checkPublicMatch(t *testing.T, p PublicPaths, raw string) {
	t.Helper()
	if !p.Match(raw) {
		return
	}
	decoded, err := url.PathUnescape(raw)
	if err != nil {
		t.Fatalf("Match(%q) with an undecodable path", raw)
	}
	clean := path.Clean(decoded)
	if strings.HasSuffix(decoded, "/") && clean != "/" {
		clean += "/"
	}
	if clean != decoded || strings.ContainsAny(decoded, ";\\%") || strings.Contains(strings.ToLower(raw), "%2f") {
		t.Fatalf("Match(%q): the decoded path %q is not plain", raw, decoded)
	}
	if decoded != "/oidc/token" && !strings.HasPrefix(decoded, "/public/") {
		t.Fatalf("Match(%q): %q is neither /oidc/token nor under /public/", raw, decoded)
	}
}
