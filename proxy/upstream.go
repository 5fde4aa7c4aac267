package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ssogate/ssogate/internal/h1"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/internal/tracing"
)

// newUpstream returns the reverse proxy to target (http, https or unix:///path),
// which adds via to each request's Via header.
// Bodies stream both ways (never buffered), upgrades (websockets) and server-sent
// events pass through, and the client's identity headers never reach the upstream.
func newUpstream(target *url.URL, trusted []netip.Prefix, via string, logger *slog.Logger, onError func(http.ResponseWriter, *http.Request, error)) (http.Handler, error) {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 nil, // never route upstream traffic through HTTP_PROXY
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   1024, // Go's default of 2 reconnects under any concurrency
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	dest := *target
	viaOnly := []string{via}
	var dial func(context.Context) (net.Conn, error) // plain HTTP/1.1: requests h1 takes
	switch target.Scheme {
	case "https":
	case "http":
		addr := hostPort(target)
		dial = func(ctx context.Context) (net.Conn, error) { return dialer.DialContext(ctx, "tcp", addr) }
	case "unix":
		socket := target.Path
		if socket == "" {
			return nil, fmt.Errorf("UPSTREAM_URL=%q: unix:// needs a socket path, e.g. unix:///run/app.sock", target.String())
		}
		dial = func(ctx context.Context) (net.Conn, error) { return dialer.DialContext(ctx, "unix", socket) }
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) }
		transport.ForceAttemptHTTP2 = false
		dest = url.URL{Scheme: "http", Host: "localhost"}
	default:
		return nil, fmt.Errorf("UPSTREAM_URL=%q: scheme must be http, https or unix", target.String())
	}
	var roundTripper http.RoundTripper = transport
	if dial != nil {
		roundTripper = h1.New(dial, transport, transport.MaxIdleConnsPerHost, transport.IdleConnTimeout)
	}

	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&dest)
			pr.Out.Host = pr.In.Host // the upstream sees the host users typed
			trustedPeer := peerTrusted(pr.In, trusted)
			if trustedPeer {
				// Keep the chain a trusted ingress started.
				pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
			}
			pr.SetXForwarded()
			if trustedPeer {
				if v := pr.In.Header.Get("X-Forwarded-Proto"); v != "" {
					pr.Out.Header.Set("X-Forwarded-Proto", v)
				}
				if v := pr.In.Header.Get("X-Forwarded-Host"); v != "" {
					pr.Out.Header.Set("X-Forwarded-Host", v)
				}
			}
			stripIdentityHeaders(pr.Out.Header)
			stripGatewayCookies(pr.Out.Header)
			if prior := pr.Out.Header["Via"]; prior != nil {
				pr.Out.Header["Via"] = append(prior[:len(prior):len(prior)], via)
			} else {
				pr.Out.Header["Via"] = viaOnly // shared, never changed: no allocation
			}
			traceCtx := pr.In.Context()
			if info := requestInfoFrom(pr.In.Context()); info != nil {
				for k, v := range info.upstream {
					pr.Out.Header[k] = v
				}
				if info.trace != nil {
					traceCtx = info.trace
				}
			}
			tracing.Inject(traceCtx, pr.Out.Header)
		},
		Transport:  roundTripper,
		BufferPool: newBufferPool(),
		ErrorLog:   slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return // the client went away; nothing to tell it
			}
			if info := requestInfoFrom(r.Context()); info != nil && info.trace != nil {
				tracing.Fail(trace.SpanFromContext(info.trace), "upstream_unavailable")
			}
			he := &httperr.HTTPError{Key: "error.upstream_unavailable", Status: http.StatusBadGateway, Title: "The application is not responding",
				Message: "The gateway could not reach the application behind it. Please try again in a moment.",
				Code:    "upstream_unavailable", RetryAfter: 5, Err: err}
			if isNavigation(r) {
				he.RetryURL = safeReturn(r.URL.RequestURI(), "", nil) // Try again: the same page
			}
			onError(w, r, he)
		},
	}
	return rp, nil
}

// hostPort is target's host with its port, 80 when the URL names none.
func hostPort(target *url.URL) string {
	if target.Port() != "" {
		return target.Host
	}
	return net.JoinHostPort(target.Hostname(), "80")
}

// copyBufferSize is the size of the buffers the reverse proxy copies bodies with,
// the same as it allocates without a pool.
const copyBufferSize = 32 << 10

// bufferPool lends the reverse proxy its copy buffers, which it would otherwise
// allocate (and the garbage collector reclaim) for every response.
type bufferPool struct{ pool sync.Pool }

var _ httputil.BufferPool = (*bufferPool)(nil)

func newBufferPool() *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any {
		b := make([]byte, copyBufferSize)
		return &b
	}}}
}

func (p *bufferPool) Get() []byte { return *p.pool.Get().(*[]byte) }

func (p *bufferPool) Put(b []byte) {
	if cap(b) != copyBufferSize {
		return // not one of ours
	}
	b = b[:copyBufferSize]
	p.pool.Put(&b)
}
