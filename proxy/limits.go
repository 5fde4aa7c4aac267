package proxy

import (
	"net/http"
	"time"
)

// bodyReadTimeout bounds how long a request may take to arrive (its body included)
// while the gateway itself answers it: the callback's form_post, a back-channel
// logout, the settings and break-glass forms, and every request until the decision
// lets it through to the upstream. A client that announces a body and never sends
// it is cut off then, instead of holding a connection and its memory forever.
const bodyReadTimeout = 10 * time.Second

// limitReads is the first middleware: for a request with a body it sets the read
// deadline and marks the answer Connection: close, so that a refused request's
// unread body is never waited for to reuse the connection. allowProxying undoes
// both for requests that go upstream. A request without a body has nothing left
// to arrive (its header was bounded by the server's ReadHeaderTimeout), so neither
// is needed.
func limitReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hasBody(r) {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// hasBody reports whether r has a body to read: a declared length, or -1 (chunked,
// or an HTTP/2 stream that did not end with its header).
func hasBody(r *http.Request) bool { return r.ContentLength != 0 }

// allowProxying lifts limitReads' deadline and Connection: close once the decision
// lets r through: uploads through the proxy may take as long as they need.
//
// It also puts the HTTP/1.x connection in full-duplex mode. Without it, net/http
// reads and closes what is left of the request body as soon as the response
// header is written; an upstream that answers before the request body has ended
// (an MCP or server-sent-events stream that starts at once, a 401 to an upload)
// then either blocks its response behind the rest of the body or, racing the
// transport still forwarding the body, has the upstream connection closed under
// the stream ("use of closed network connection"). HTTP/2 is always full duplex
// and reports "not supported", which is fine.
func allowProxying(w http.ResponseWriter, r *http.Request) {
	if !hasBody(r) {
		return // limitReads set nothing, and there is no body to read alongside
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.EnableFullDuplex()
	w.Header().Del("Connection")
}
