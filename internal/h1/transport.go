// Package h1 makes HTTP/1.1 round trips to a plain-HTTP upstream on the caller's
// goroutine. net/http's Transport hands every request to two goroutines of its
// connection (one writes the request, one reads the response) and back; for a
// small request that handoff is a large part of the gateway's cost. Transport here
// writes the request and reads the response header itself, on a kept-alive
// connection, for the requests where that is simple and safe: GET, HEAD and
// OPTIONS without a body and without Upgrade. Everything else (bodies, websockets,
// other methods, https) goes to the fallback transport unchanged.
//
// The wire format is net/http's own (Request.Write, ReadResponse); this package
// only keeps the connections.
package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"time"
)

// Transport is an http.RoundTripper for one plain-HTTP upstream.
type Transport struct {
	dial     func(ctx context.Context) (net.Conn, error)
	fallback http.RoundTripper
	pool     pool
}

// New returns a Transport that opens connections with dial, keeps up to maxIdle of
// them for idleTimeout after their last use, and sends what it does not take to
// fallback.
func New(dial func(ctx context.Context) (net.Conn, error), fallback http.RoundTripper, maxIdle int, idleTimeout time.Duration) *Transport {
	return &Transport{dial: dial, fallback: fallback, pool: pool{max: maxIdle, timeout: idleTimeout}}
}

// maxResponseHeader bounds a response header, as net/http's Transport does.
const maxResponseHeader = 1 << 20

// max1xx bounds the informational responses (103 Early Hints) before the answer.
const max1xx = 5

// errNothingRead marks a failure before any byte of the response arrived, on a
// connection the upstream may have closed while it was idle.
var errNothingRead = errors.New("upstream closed the connection before answering")

// RoundTrip sends req and returns the upstream's response; its body must be read
// to the end or closed, which returns the connection for the next request.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !takes(req) {
		return t.fallback.RoundTrip(req)
	}
	for {
		c, reused, err := t.conn(req.Context())
		if err != nil {
			return nil, err
		}
		res, err := t.exchange(c, req)
		if err == nil {
			return res, nil
		}
		c.close()
		if reused && errors.Is(err, errNothingRead) && req.Context().Err() == nil {
			continue // a kept-alive connection the upstream had closed: take another
		}
		return nil, err
	}
}

// CloseIdleConnections closes the kept connections, and the fallback's.
func (t *Transport) CloseIdleConnections() {
	t.pool.closeAll()
	if f, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		f.CloseIdleConnections()
	}
}

// takes reports whether req is one Transport sends itself: a bodyless GET, HEAD
// or OPTIONS (idempotent, so a request that met a closed idle connection can be
// sent again) to an http:// URL, not asking to upgrade the connection.
func takes(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		return false
	}
	return (req.Body == nil || req.Body == http.NoBody) && req.URL.Scheme == "http" &&
		req.Header["Upgrade"] == nil && req.Header["Connection"] == nil && !req.Close
}

// conn returns an idle connection, or a new one.
func (t *Transport) conn(ctx context.Context) (c *conn, reused bool, err error) {
	if c := t.pool.get(time.Now()); c != nil {
		return c, true, nil
	}
	nc, err := t.dial(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("dial upstream: %w", err)
	}
	return newConn(nc), false, nil
}

// exchange writes req on c and reads the response header; the response's body
// hands c back to the pool when it has been read to the end.
func (t *Transport) exchange(c *conn, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	stop := context.AfterFunc(ctx, c.interrupt)
	res, err := c.exchange(req)
	if err != nil {
		stop()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	// A 101 would hand the connection to another protocol: never reused.
	reusable := !res.Close && res.StatusCode != http.StatusSwitchingProtocols
	if res.Body == http.NoBody || req.Method == http.MethodHead {
		t.finish(c, stop, reusable)
		return res, nil
	}
	res.Body = &body{rc: res.Body, t: t, c: c, stop: stop, reusable: reusable}
	return res, nil
}

// finish returns c to the pool when its exchange ended cleanly and no cancellation
// touched it, and closes it otherwise.
func (t *Transport) finish(c *conn, stop func() bool, reusable bool) {
	// Bytes past the response's end are not the answer to any request of ours.
	if stop() && reusable && c.br.Buffered() == 0 {
		t.pool.put(c, time.Now())
		return
	}
	c.close()
}

// exchange writes req and reads the response header (after any 1xx responses,
// which go to the request's trace as net/http's Transport does).
func (c *conn) exchange(req *http.Request) (*http.Response, error) {
	if err := req.Write(c.bw); err != nil {
		return nil, fmt.Errorf("%w: write: %w", errNothingRead, err)
	}
	if err := c.bw.Flush(); err != nil {
		return nil, fmt.Errorf("%w: write: %w", errNothingRead, err)
	}
	c.limit.N = maxResponseHeader
	defer func() { c.limit.N = 1<<63 - 1 }()
	for i := 0; ; i++ {
		if _, err := c.br.Peek(1); err != nil {
			if i == 0 {
				return nil, fmt.Errorf("%w: %w", errNothingRead, err)
			}
			return nil, fmt.Errorf("read upstream response: %w", err)
		}
		res, err := http.ReadResponse(c.br, req)
		if err != nil {
			if c.limit.N <= 0 {
				return nil, fmt.Errorf("upstream response header over %d bytes", maxResponseHeader)
			}
			return nil, fmt.Errorf("read upstream response: %w", err)
		}
		if res.StatusCode < 100 || res.StatusCode > 199 || res.StatusCode == http.StatusSwitchingProtocols {
			return res, nil
		}
		if i == max1xx {
			return nil, fmt.Errorf("upstream sent more than %d informational responses", max1xx)
		}
		if trace := httptrace.ContextClientTrace(req.Context()); trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(res.StatusCode, textproto.MIMEHeader(res.Header)); err != nil {
				return nil, err
			}
		}
	}
}

// body hands its connection back when the response body ends: to the pool when
// it was read to io.EOF, closed when it was closed before.
type body struct {
	rc       io.ReadCloser
	t        *Transport
	c        *conn // nil once the body has ended
	stop     func() bool
	reusable bool
	err      error // what Read returns once the body has ended
}

// errClosedBody is what a read after Close gets, as from net/http's bodies.
var errClosedBody = errors.New("http: read on closed response body")

func (b *body) Read(p []byte) (int, error) {
	if b.c == nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	if err != nil {
		b.err = err
		b.end(err == io.EOF)
	}
	return n, err
}

func (b *body) Close() error {
	if b.c != nil {
		b.err = errClosedBody
		b.end(false)
	}
	return nil
}

func (b *body) end(eof bool) {
	c := b.c
	b.c = nil
	b.t.finish(c, b.stop, eof && b.reusable)
}

// conn is one connection to the upstream with its buffers; limit bounds what a
// response header may read.
type conn struct {
	nc    net.Conn
	limit io.LimitedReader
	br    *bufio.Reader
	bw    *bufio.Writer
	idle  time.Time // when it was put back
}

func newConn(nc net.Conn) *conn {
	c := &conn{nc: nc}
	c.limit = io.LimitedReader{R: nc, N: 1<<63 - 1}
	c.br = bufio.NewReaderSize(&c.limit, 4<<10)
	c.bw = bufio.NewWriterSize(nc, 4<<10)
	return c
}

// interrupt unblocks any read or write on c; the connection is not used again.
func (c *conn) interrupt() { _ = c.nc.SetDeadline(time.Unix(1, 0)) }

func (c *conn) close() { _ = c.nc.Close() }
