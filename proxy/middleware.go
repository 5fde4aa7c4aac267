package proxy

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
)

// requestInfo is what the gateway keeps about one request, in its context once (a
// context value per item would copy the request for each).
type requestInfo struct {
	id       string      // request ID
	upstream http.Header // identity headers for the upstream request; nil: none
	// trace is the upstream call's span context while it is recorded; nil: the
	// upstream gets the request's own trace context, if any.
	trace context.Context
	// resp is the access log's view of the response, which records its status.
	resp middleware.WrapResponseWriter
}

// RequestID returns the request's ID, for httperr.RequestID.
func (i *requestInfo) RequestID() string { return i.id }

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := httperr.InfoFrom(ctx).(*requestInfo)
	return info
}

// requestID gives every request a random ID, echoed in X-Request-Id and in every log
// line and error page about it. An incoming X-Request-Id is not trusted.
func (g *Gateway) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The ID correlates lines; it guards nothing, so the runtime's per-thread
		// generator (ChaCha8, seeded by the kernel) serves, without a system call.
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], rand.Uint64())
		info := &requestInfo{id: hex.EncodeToString(b[:])}
		w.Header()["X-Request-Id"] = []string{info.id} // canonical already: no look-up of the key
		next.ServeHTTP(w, r.WithContext(httperr.NewContext(r.Context(), info)))
	})
}

// AccessLogMessage is the message of the one log line per request, at
// slog.LevelInfo: a log writer may batch these lines (the process's does).
const AccessLogMessage = "request"

// accessLog writes one line per request and feeds the request metric.
func (g *Gateway) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := g.opts.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		if info := requestInfoFrom(r.Context()); info != nil {
			info.resp = ww
		}
		next.ServeHTTP(ww, r)
		elapsed := g.opts.Now().Sub(start)
		status := responseStatus(ww, r)
		if h := g.opts.Hooks.Request; h != nil {
			h(RouteClass(r.URL.Path), status, elapsed)
		}
		g.logAccess(r, status, ww.BytesWritten(), elapsed)
	})
}

// AccessLine is the one log line of a request, for Options.AccessLog.
type AccessLine struct {
	Time      time.Time
	RequestID string
	Method    string
	Path      string
	Status    int
	Bytes     int
	Duration  time.Duration
	ClientIP  string
}

// Record returns the line as the log record it stands for, with message
// AccessLogMessage.
func (l *AccessLine) Record() slog.Record {
	rec := slog.NewRecord(l.Time, slog.LevelInfo, AccessLogMessage, 0)
	rec.AddAttrs(
		slog.String("request_id", l.RequestID),
		slog.String("method", l.Method),
		slog.String("path", l.Path),
		slog.Int("status", l.Status),
		slog.Int("bytes", l.Bytes),
		slog.Duration("duration", l.Duration),
		slog.String("client_ip", l.ClientIP),
	)
	return rec
}

// Size is about how many bytes the line's strings hold.
func (l *AccessLine) Size() int {
	return len(l.RequestID) + len(l.Method) + len(l.Path) + len(l.ClientIP)
}

// logAccess writes the access line, or hands it to Options.AccessLog. Without that
// hook it gives the record to the handler itself: Logger.LogAttrs would also look up
// its caller, which no handler of ours prints (about 2 µs a request at 8
// connections; bench/README.md).
func (g *Gateway) logAccess(r *http.Request, status, bytes int, elapsed time.Duration) {
	ctx := r.Context()
	h := g.opts.Logger.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	line := AccessLine{Time: time.Now(), RequestID: httperr.RequestID(ctx), Method: r.Method, Path: r.URL.Path,
		Status: status, Bytes: bytes, Duration: elapsed, ClientIP: clientip.From(r)}
	if g.opts.AccessLog != nil {
		g.opts.AccessLog(ctx, line)
		return
	}
	_ = h.Handle(ctx, line.Record())
}

// responseStatus is the status code ww's response went out with.
func responseStatus(ww middleware.WrapResponseWriter, r *http.Request) int {
	if status := ww.Status(); status != 0 {
		return status
	}
	if r.Header.Get("Upgrade") != "" {
		// The reverse proxy wrote a 101 on the hijacked connection, unseen by ww.
		return http.StatusSwitchingProtocols
	}
	return http.StatusOK // nothing written: net/http sends 200
}

// recoverer turns a panic into a logged 500 page instead of a dropped connection.
func (g *Gateway) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				g.opts.Logger.Error("panic serving request", "request_id", httperr.RequestID(r.Context()),
					"panic", v, "stack", string(debug.Stack()))
				g.pages.Render(w, r, &httperr.HTTPError{Key: "error.internal", Status: http.StatusInternalServerError, Title: "Something went wrong",
					Message: "The gateway hit an unexpected error."})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// RouteClass groups paths for metrics and span names, so they stay few: upstream,
// forward_auth, sign_in, logout or gateway.
func RouteClass(path string) string {
	switch {
	case path == "/oidc/auth":
		return "forward_auth"
	case path == "/oidc/callback", path == "/oidc/login":
		return "sign_in"
	case path == "/logout", strings.HasPrefix(path, "/oidc/backchannel"):
		return "logout"
	case ownPath(path):
		return "gateway"
	}
	return "upstream"
}

// since is a small helper for elapsed-time hooks.
func (g *Gateway) since(t time.Time) time.Duration { return g.opts.Now().Sub(t) }
