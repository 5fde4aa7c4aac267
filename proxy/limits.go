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

// limitReads is the first middleware: it sets the read deadline for the request, and
// marks the answer Connection: close when the request has a body, so that a refused
// request's unread body is never waited for to reuse the connection. allowProxying
// undoes both for requests that go upstream.
func limitReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
		if r.ContentLength != 0 { // a declared length, or -1: chunked
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

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
func allowProxying(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.EnableFullDuplex()
	w.Header().Del("Connection")
}
