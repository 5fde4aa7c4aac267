// Package clientip tells who sent a request, for logs and rate limits.
package clientip

import (
	"net"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
)

// From returns the client's address: the one the gateway's client-IP middleware found
// (X-Forwarded-For, believed only from trusted proxies), else the connection's peer.
func From(r *http.Request) string {
	if ip := middleware.GetClientIP(r.Context()); ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
