package proxy

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeReturn: whatever rd is, the result is "/", a same-origin path that no
// browser reads as another origin, or an http(s) URL on the public or an allowed host.
func FuzzSafeReturn(f *testing.F) {
	for _, s := range []string{"/", "/app?x=1", "//evil.example", "/\\evil.example", "https://evil.example/",
		"https://gw.example/ok", "/%2f%2fevil.example", "javascript:alert(1)", "/\t/evil", "https://sub.allowed.example/x"} {
		f.Add(s)
	}
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
		if h := u.Hostname(); h != "gw.example" && !strings.HasSuffix(h, ".allowed.example") {
			t.Fatalf("safeReturn(%q) = %q: host %q is neither public nor allowed", rd, got, h)
		}
	})
}

// FuzzPublicPaths: a path matches only when it is one of the listed exact paths or
// inside a listed subtree, after cleaning and decoding; never through the query.
func FuzzPublicPaths(f *testing.F) {
	for _, s := range []string{"/oidc/token", "/public/a", "/public/../app", "/public%2f..%2fapp", "/oidc/token?x=/public/",
		"/PUBLIC/a", "//public/a", "/oidc/token/", "/public"} {
		f.Add(s)
	}
	p := NewPublicPaths([]string{"/oidc/token", "/public/"})
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			return
		}
		if !p.Match(u.EscapedPath()) {
			return
		}
		dec, err := url.PathUnescape(u.EscapedPath())
		if err != nil {
			t.Fatalf("%q matched though its path does not decode", raw)
		}
		if strings.Contains(dec, "/../") || strings.HasSuffix(dec, "/..") {
			t.Fatalf("%q matched with a dot-dot segment in %q", raw, dec)
		}
		if dec != "/oidc/token" && !strings.HasPrefix(dec, "/public/") && !strings.HasPrefix(strings.ReplaceAll(dec, "//", "/"), "/public/") {
			t.Fatalf("%q matched, decoded %q is outside /oidc/token and /public/", raw, dec)
		}
	})
}
