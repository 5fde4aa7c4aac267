package proxy

import (
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/session"
)

// gatewayCookie reports whether a cookie called name is the gateway's own: the session
// cookie and its chunks (ssogate, ssogate_0, …), the logout hint (ssogate-logout), the
// login-state cookies (ssogate_login_…) and the CSRF cookie (ssogate_csrf), with or
// without their __Host- or __Secure- prefix.
func gatewayCookie(name string) bool {
	name = strings.TrimPrefix(strings.TrimPrefix(name, "__Host-"), "__Secure-")
	rest, ok := strings.CutPrefix(name, session.DefaultCookieName)
	return ok && (rest == "" || rest[0] == '_' || rest[0] == '-')
}

// stripGatewayCookies removes the gateway's own cookies from the Cookie headers of a
// request going upstream: the application has no use for them, and a session cookie
// that reaches it could be logged or leaked there. Every other cookie passes as the
// client sent it (only the separators between cookies are normalised).
func stripGatewayCookies(h http.Header) {
	values := h["Cookie"]
	if len(values) == 0 {
		return
	}
	kept := values[:0:0]
	for _, v := range values {
		if !strings.Contains(v, session.DefaultCookieName) { // the usual case: nothing to do
			kept = append(kept, v)
			continue
		}
		var pairs []string
		for pair := range strings.SplitSeq(v, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(pair), "=")
			if !gatewayCookie(name) {
				pairs = append(pairs, strings.TrimSpace(pair))
			}
		}
		if len(pairs) > 0 {
			kept = append(kept, strings.Join(pairs, "; "))
		}
	}
	if len(kept) == 0 {
		delete(h, "Cookie")
		return
	}
	h["Cookie"] = kept
}
