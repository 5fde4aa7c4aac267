package proxy

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
)

// The identity headers the gateway sets (DESIGN §5).
const (
	HeaderUser      = "X-Auth-Request-User"
	HeaderEmail     = "X-Auth-Request-Email"
	HeaderGroups    = "X-Auth-Request-Groups"
	HeaderRole      = "X-Auth-Request-Role"
	HeaderAssertion = "X-Auth-Request-Assertion"
)

// spoofablePrefix covers every header the gateway owns; a client's copy of any of
// them, in any letter case and with "_" for "-", is deleted before proxying.
const spoofablePrefix = "x-auth-request-"

// stripIdentityHeaders deletes every header that could impersonate the gateway. Go
// canonicalises "x-auth-request-user" but keeps "X_Auth_Request_User" as its own key,
// and many upstream frameworks read "_" as "-", so both spellings go.
func stripIdentityHeaders(h http.Header) {
	for name := range h {
		if isSpoofable(name) {
			delete(h, name)
		}
	}
}

// spoofedMessage is the warning for identity headers a client sent.
const spoofedMessage = "identity headers sent by the client"

// What a warning about a client's identity headers tells the operator: on the way
// upstream the gateway removes them; behind an ingress's auth check only the ingress can.
const (
	spoofHintProxied     = "only the gateway sets X-Auth-Request-* headers; these were removed before the request went on, and no client or proxy in front of the gateway should send them"
	spoofHintForwardAuth = "only the gateway sets X-Auth-Request-* headers; the ingress must replace or drop the client's copies on the way to the application (docs/forward-auth.md)"
)

// warnSpoofed writes a warning with hint when r, as the client sent it, carries
// headers that could impersonate the gateway: their names, sorted, at most 300 bytes
// of them, never their values.
func warnSpoofed(logger *slog.Logger, r *http.Request, hint string) {
	var names []string
	for name := range r.Header {
		if isSpoofable(name) {
			names = append(names, name)
		}
	}
	if names == nil {
		return
	}
	slices.Sort(names)
	logger.LogAttrs(r.Context(), slog.LevelWarn, spoofedMessage,
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("client_ip", clientip.From(r)),
		slog.String("headers", clip(strings.Join(names, ","), 300)), slog.Int("count", len(names)),
		slog.String("hint", hint))
}

func isSpoofable(name string) bool {
	if len(name) < len(spoofablePrefix) {
		return false
	}
	for i := 0; i < len(spoofablePrefix); i++ {
		c := name[i]
		if c == '_' {
			c = '-'
		}
		if c|0x20 != spoofablePrefix[i] { // ASCII lower-casing; '-' is unchanged by it
			return false
		}
	}
	return true
}

// joinGroups renders groups for the Groups header: comma-separated, with commas in a
// group name escaped so the list stays parseable.
func joinGroups(groups []string) string {
	switch len(groups) {
	case 0:
		return ""
	case 1:
		return strings.ReplaceAll(groups[0], ",", "%2C")
	}
	n := len(groups) - 1 // the commas between names
	for _, g := range groups {
		n += len(g)
	}
	var b strings.Builder
	b.Grow(n) // one allocation; escaped commas, if any, grow it further
	for i, g := range groups {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.ReplaceAll(g, ",", "%2C"))
	}
	return b.String()
}
