package proxy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/ssogate/ssogate/assertion"
	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/logbuf"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/web"
)

// benchGateway is a gateway as serve builds it (cookie sessions, the real assertion
// cache, JSON access log) in front of an in-memory upstream, and a signed-in
// browser's request.
type benchGateway struct {
	gw      *Gateway
	store   *session.CookieStore
	session *session.Session
	cookies []*http.Cookie
}

// memoryTransport answers upstream requests in memory: a ~200-byte body, no sockets.
type memoryTransport struct{}

const benchBody = `{"status":"ok","service":"bench-echo","message":"this body stands in for a small JSON answer of the application behind the gateway","items":[1,2,3,4,5,6,7,8],"padding":"0123456789abcdef0123456789"}` + "\n"

func (memoryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get(HeaderAssertion) == "" {
		return nil, errors.New("the upstream request carries no assertion")
	}
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(benchBody)),
		ContentLength: int64(len(benchBody)),
		Request:       r,
	}, nil
}

func newBenchGateway(b *testing.B, groups int, upstream bool) *benchGateway {
	b.Helper()
	raw, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := assertion.NewSigner(assertion.SignerOptions{Key: key, Issuer: "http://gateway.test", Audience: "http://gateway.test"})
	if err != nil {
		b.Fatal(err)
	}
	renderer, err := web.New()
	if err != nil {
		b.Fatal(err)
	}
	codec := newCodec(b)
	bg := &benchGateway{store: session.NewCookieStore(session.CookieOptions{Codec: codec})}
	flows := oidcflow.NewManager(oidcflow.ManagerOptions{
		Build: func(context.Context) (*oidcflow.Flow, error) { return nil, errors.New("no IdP in benchmarks") },
	})
	opts := Options{
		Flows: flows, Sessions: bg.store, Codec: codec, Renderer: renderer,
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)), // formats every access line, as in production
		Assertions: assertion.NewCache(signer, assertion.DefaultCacheBytes),
		Hooks:      Hooks{Request: func(string, int, time.Duration) {}, Upstream: func(int, time.Duration) {}},
	}
	if upstream {
		opts.Upstream = mustParse(b, "http://upstream.test")
	}
	bg.gw, err = New(opts)
	if err != nil {
		b.Fatal(err)
	}
	if upstream {
		bg.gw.upstream.(*httputil.ReverseProxy).Transport = memoryTransport{}
	}

	gs := make([]string, groups)
	for i := range gs {
		gs[i] = fmt.Sprintf("6f1c2d3e-4a5b-4c6d-8e7f-%012d", i)
	}
	now := time.Now()
	bg.session = &session.Session{
		ID: "bench-session",
		Identity: claims.Identity{Subject: "sub-bench", Username: "bench", Email: "bench@example.com", EmailVerified: true,
			Name: "Bench User", Groups: gs, Role: claims.RoleMember, Issuer: "http://idp.test", IdP: "oidc", AMR: []string{claims.AMRSSO}},
		CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	rec := httptest.NewRecorder()
	if err := bg.store.Save(rec, httptest.NewRequest(http.MethodGet, "/", nil), bg.session); err != nil {
		b.Fatal(err)
	}
	bg.cookies = rec.Result().Cookies()
	return bg
}

// asSent takes off r what serving it added: the gateway's identity headers, which it
// also puts on the incoming request (decide.go). A benchmark that sends one request
// again and again calls it after each, so that every iteration sends what a browser
// does, and the check for a client's identity headers finds none.
func asSent(r *http.Request) { stripIdentityHeaders(r.Header) }

// request returns a signed-in browser's request for target.
func (bg *benchGateway) request(target string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = "127.0.0.1:40000"
	for _, c := range bg.cookies {
		r.AddCookie(c)
	}
	return r
}

// BenchmarkIdentityHeaders measures building the identity headers, the assertion
// coming from the cache, and setting them on an outgoing request the way Rewrite does.
func BenchmarkIdentityHeaders(b *testing.B) {
	for _, groups := range []int{5, 200} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			bg := newBenchGateway(b, groups, false)
			in := bg.request("/")
			b.ReportAllocs()
			for b.Loop() {
				h, err := bg.gw.identityHeaders(bg.session)
				if err != nil {
					b.Fatal(err)
				}
				out := in.Header.Clone()
				stripIdentityHeaders(out)
				for k, v := range h {
					out[k] = v
				}
			}
		})
	}
}

// BenchmarkForwardAuth is GET /oidc/auth with a valid session through the whole
// handler: middleware, routing, session, rules, identity headers, access log.
func BenchmarkForwardAuth(b *testing.B) {
	for _, groups := range []int{5, 200} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			bg := newBenchGateway(b, groups, false)
			r := bg.request("/oidc/auth")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				bg.gw.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// BenchmarkProxyAuthenticated is a signed-in GET / proxied to an in-memory upstream:
// everything but the sockets.
func BenchmarkProxyAuthenticated(b *testing.B) {
	for _, groups := range []int{5, 200} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			bg := newBenchGateway(b, groups, true)
			r := bg.request("/")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				bg.gw.ServeHTTP(w, r)
				if w.Code != http.StatusOK || w.Body.Len() != len(benchBody) {
					b.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
				}
				asSent(r)
			}
		})
	}
}

// BenchmarkReplayGuardConsume is the callback's replay check with many sign-ins of
// the last ten minutes still remembered, as under a sustained sign-in load.
func BenchmarkReplayGuardConsume(b *testing.B) {
	for _, live := range []int{1000, 30000} {
		b.Run(fmt.Sprintf("live=%d", live), func(b *testing.B) {
			now := time.Now()
			rg := newReplayGuard(func() time.Time { return now }, replayGuardMax)
			for i := range live {
				rg.consume(fmt.Sprintf("state-%d", i), now.Add(10*time.Minute))
			}
			states := make([]string, 1<<16)
			for i := range states {
				states[i] = fmt.Sprintf("new-state-%d", i)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if rg.consume(states[i%len(states)], now.Add(10*time.Minute)) != nil && i < len(states) {
					b.Fatal("a fresh state was refused")
				}
				i++
			}
		})
	}
}

// BenchmarkSignIn is one complete sign-in by a new browser (gateway, testidp's login
// form, callback) against the in-process fixture; the IdP's work is included, so
// profile it with -focus on the gateway's packages.
func BenchmarkSignIn(b *testing.B) {
	for _, method := range []string{oidcflow.MethodPKCE, oidcflow.MethodImplicit} {
		b.Run(method, func(b *testing.B) {
			f := newFixture(b, fixtureOptions{method: method})
			b.ReportAllocs()
			for b.Loop() {
				if loc := f.browser().signInAs("bob", "/"); loc != "/" {
					b.Fatalf("signed in to %q, want /", loc)
				}
			}
		})
	}
}

// BenchmarkPlainReverseProxy is the reference for BenchmarkProxyAuthenticated: a bare
// httputil.ReverseProxy to the same in-memory upstream, without any of the gateway.
func BenchmarkPlainReverseProxy(b *testing.B) {
	rp := newPlainReverseProxy(b)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		rp.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// newPlainReverseProxy is a bare httputil.ReverseProxy to the in-memory upstream.
func newPlainReverseProxy(b *testing.B) *httputil.ReverseProxy {
	target := mustParse(b, "http://upstream.test")
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Header.Set(HeaderAssertion, "x") // what memoryTransport checks
		},
		Transport: memoryTransport{},
	}
}

// coldEvictBytes is how much memory BenchmarkProxyCold walks between requests: more
// than the L1 caches and a quarter of the L2 of the machine bench/README.md reports,
// standing in for what the upstream and the kernel touch on the core they share with
// the gateway between two of its requests.
const coldEvictBytes = 256 << 10

// BenchmarkProxyCold is BenchmarkProxyAuthenticated (5 groups) and
// BenchmarkPlainReverseProxy with the small caches evicted before every request, the
// way a core shared with the upstream leaves them: what costs little in a hot loop may
// cost more there (bench/README.md, "At 8 connections"). The eviction is not timed.
func BenchmarkProxyCold(b *testing.B) {
	evict := make([]byte, coldEvictBytes)
	run := func(b *testing.B, h http.Handler, r *http.Request) {
		for b.Loop() {
			b.StopTimer()
			asSent(r)
			for i := 0; i < len(evict); i += 64 {
				evict[i]++
			}
			b.StartTimer()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	}
	b.Run("ssogate", func(b *testing.B) {
		bg := newBenchGateway(b, 5, true)
		run(b, bg.gw, bg.request("/"))
	})
	b.Run("ssogate-queued-access-line", func(b *testing.B) {
		// As serve wires it: lines queued, encoded 256 at a time (internal/logbuf).
		bg := newBenchGateway(b, 5, true)
		w := logbuf.New(io.Discard, time.Hour)
		defer w.Close()
		h := w.Handler(slog.NewJSONHandler(w, nil), AccessLogMessage)
		q := logbuf.NewQueue(w, func(l AccessLine) { _ = h.Handle(context.Background(), l.Record()) },
			func(l AccessLine) int { return l.Size() })
		bg.gw.opts.AccessLog = func(_ context.Context, l AccessLine) { q.Add(l) }
		run(b, bg.gw, bg.request("/"))
	})
	b.Run("ssogate-no-access-line", func(b *testing.B) {
		bg := newBenchGateway(b, 5, true)
		bg.gw.opts.Logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
		run(b, bg.gw, bg.request("/"))
	})
	b.Run("plain", func(b *testing.B) {
		// The same request, session cookie included, as wrk sends both in bench/run.sh.
		run(b, newPlainReverseProxy(b), newBenchGateway(b, 5, false).request("/"))
	})
}
