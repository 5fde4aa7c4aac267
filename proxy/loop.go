package proxy

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
)

// newVia returns the Via entry this gateway adds to what it sends upstream (RFC 9110
// §7.6.3): a pseudonym of its own, so that a request coming back to it is known.
func newVia() string { return fmt.Sprintf("1.1 ssogate-%016x", rand.Uint64()) }

// looped reports whether r is a request this gateway sent upstream itself: the
// upstream, or an ingress in front of it, led it back here.
func (g *Gateway) looped(r *http.Request) bool {
	for _, v := range r.Header["Via"] {
		if strings.Contains(v, g.via) {
			return true
		}
	}
	return false
}

// refuseLoop answers a request that came back to the gateway: proxying it again would
// go round until the connections run out.
func (g *Gateway) refuseLoop(r *http.Request) error {
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelError, "request loop: the gateway's own request came back to it",
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("client_ip", clientip.From(r)),
		slog.String("path", r.URL.Path), slog.String("upstream", g.opts.Upstream.Redacted()),
		slog.String("fix", "UPSTREAM_URL must be the application's own address, not a name that leads back to the gateway (its ingress, its load balancer, PUBLIC_URL)"))
	return &httperr.HTTPError{Key: "error.upstream_loop", Status: http.StatusLoopDetected, Code: "upstream_loop",
		Title:   "The gateway is misconfigured",
		Message: "The gateway's address for the application leads back to the gateway itself. Please tell the administrator."}
}
