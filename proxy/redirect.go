package proxy

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// safeReturn returns rd when it is a safe place to send the browser after sign-in,
// else "/". Safe means a same-origin path, or an absolute http(s) URL whose host is the
// public host or allow-listed. Anything a browser might read as another origin is
// refused: "//evil", "/\evil", "https://evil", their percent-encoded forms, control
// characters (tab, CR, LF) and other schemes such as "javascript:".
func safeReturn(rd, publicHost string, allowed []string) string {
	if rd == "" || len(rd) > 2048 || strings.ContainsAny(rd, "\\") || hasControl(rd) {
		return "/"
	}
	// A path must stay a path after one round of percent-decoding too.
	decoded, err := url.PathUnescape(rd)
	if err != nil || hasControl(decoded) || strings.Contains(decoded, "\\") {
		return "/"
	}
	if strings.HasPrefix(rd, "/") {
		if strings.HasPrefix(rd, "//") || strings.HasPrefix(decoded, "//") {
			return "/"
		}
		u, err := url.Parse(rd)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
			return "/"
		}
		return rd
	}
	u, err := url.Parse(rd)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Host == "" || u.Opaque != "" {
		return "/"
	}
	if hostAllowed(u.Hostname(), publicHost, allowed) {
		return u.String()
	}
	return "/"
}

// hostAllowed reports whether host is the public host or matches an allowed entry:
// an exact host, or ".suffix" for suffix itself and any subdomain of it.
func hostAllowed(host, publicHost string, allowed []string) bool {
	host = strings.ToLower(host)
	if publicHost != "" && host == strings.ToLower(hostOnly(publicHost)) {
		return true
	}
	for _, a := range allowed {
		a = strings.ToLower(a)
		if strings.HasPrefix(a, ".") {
			if strings.HasSuffix(host, a) || host == a[1:] {
				return true
			}
		} else if host == a {
			return true
		}
	}
	return false
}

func hasControl(s string) bool {
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// peerTrusted reports whether the request's direct peer is a trusted proxy.
func peerTrusted(r *http.Request, trusted []netip.Prefix) bool {
	if len(trusted) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// publicBase returns the external base URL (scheme://host) users reach the gateway
// at: PUBLIC_URL when set, else the request's own, believing X-Forwarded-Proto/Host
// only from trusted proxies.
func (g *Gateway) publicBase(r *http.Request) *url.URL {
	if g.opts.PublicURL != nil {
		return g.opts.PublicURL
	}
	u := &url.URL{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	if peerTrusted(r, g.opts.Trusted) {
		if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "https" || p == "http" {
			u.Scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" && !hasControl(h) && !strings.ContainsAny(h, "/\\@") {
			u.Host = h
		}
	}
	return u
}

// absURL joins the public base URL with path (which may carry a query).
func (g *Gateway) absURL(r *http.Request, path string) string {
	base := g.publicBase(r)
	return strings.TrimSuffix(base.String(), "/") + path
}

func firstValue(h string) string {
	v, _, _ := strings.Cut(h, ",")
	return strings.TrimSpace(v)
}
