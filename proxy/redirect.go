package proxy

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
)

// safeReturn returns rd when it is a safe place to send the browser after sign-in,
// else "/". Safe means a same-origin path, or an absolute http(s) URL whose host is the
// public host or allow-listed. Anything a browser might read as another origin is
// refused: "//evil", "/\evil", "https://evil", their percent-encoded forms, control
// characters (tab, CR, LF) and other schemes such as "javascript:".
func safeReturn(rd, publicHost string, allowed []string) string {
	ret, _ := checkReturn(rd, publicHost, allowed)
	return ret
}

// Why checkReturn refused a return URL: the reason field of the log line.
const (
	returnTooLong       = "too_long"             // over maxReturnURL bytes
	returnControl       = "control_or_backslash" // a control character or a backslash, raw or percent-encoded
	returnOtherOrigin   = "scheme_relative"      // "//host": a path a browser reads as another origin
	returnMalformed     = "malformed"            // not a URL, or one with user info or an opaque part
	returnNotHTTP       = "not_http"             // a scheme other than http and https
	returnHostNotListed = "host_not_allowed"     // neither the public host nor in ALLOWED_REDIRECT_DOMAINS
)

// returnRefusedMessage is the log line of a refused return URL.
const returnRefusedMessage = "return URL refused: the browser goes to / instead"

// maxReturnURL is the longest return URL kept: it travels in the login cookie.
const maxReturnURL = 2048

// checkReturn is safeReturn, also saying why it refused rd (one of the return*
// reasons); the reason is empty when rd is accepted or empty.
func checkReturn(rd, publicHost string, allowed []string) (ret, reason string) {
	switch {
	case rd == "":
		return "/", ""
	case len(rd) > maxReturnURL:
		return "/", returnTooLong
	case strings.ContainsAny(rd, "\\") || hasControl(rd):
		return "/", returnControl
	}
	// A path must stay a path after one round of percent-decoding too.
	decoded, err := url.PathUnescape(rd)
	if err != nil {
		return "/", returnMalformed
	}
	if hasControl(decoded) || strings.Contains(decoded, "\\") {
		return "/", returnControl
	}
	if strings.HasPrefix(rd, "/") {
		if strings.HasPrefix(rd, "//") || strings.HasPrefix(decoded, "//") {
			return "/", returnOtherOrigin
		}
		u, err := url.Parse(rd)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
			return "/", returnMalformed
		}
		return rd, ""
	}
	u, err := url.Parse(rd)
	switch {
	case err != nil:
		return "/", returnMalformed
	case u.Scheme != "https" && u.Scheme != "http":
		return "/", returnNotHTTP
	case u.User != nil || u.Host == "" || u.Opaque != "":
		return "/", returnMalformed
	case !hostAllowed(u.Hostname(), publicHost, allowed):
		return "/", returnHostNotListed
	}
	return u.String(), ""
}

// returnURL is checkReturn for a return URL a client sent (source names where: the
// rd parameter, or the ingress: X-Forwarded-Host and -Uri). A refused one is logged
// with the reason, and the browser goes to "/" instead.
func (g *Gateway) returnURL(r *http.Request, rd, source string) string {
	ret, reason := checkReturn(rd, g.publicBase(r).Host, g.opts.AllowedRedirectDomains)
	if reason != "" {
		attrs := []slog.Attr{slog.String("reason", reason), slog.String("source", source),
			slog.String("return_url", clip(withoutQuery(rd), 200)), slog.String("request_id", httperr.RequestID(r.Context())),
			slog.String("client_ip", clientip.From(r))}
		if reason == returnHostNotListed {
			attrs = append(attrs, slog.String("fix", "if this host is yours, add it to ALLOWED_REDIRECT_DOMAINS"))
		}
		g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, returnRefusedMessage, attrs...)
	}
	return ret
}

// withoutQuery is u without its query and fragment, which may carry tokens: what a log
// line may repeat of a URL a client sent.
func withoutQuery(u string) string {
	u, _, _ = strings.Cut(u, "#")
	u, _, _ = strings.Cut(u, "?")
	return u
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
