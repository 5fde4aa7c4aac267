package gateway

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/internal/tracing/tracingtest"
)

const (
	tracingClientSecret = "tr4cing-client-secret-9f3c1e"
	clientTrace         = "0af7651916cd43dd8448eb211c80319c"
	clientParent        = "b7ad6b7169203331"
)

// startTracedStack is a confidential pkce stack whose gateway exports spans to rcv,
// with env on top.
func startTracedStack(t *testing.T, rcv *tracingtest.Receiver, env map[string]string) *stack {
	t.Helper()
	full := map[string]string{"OIDC_CLIENT_ID": "traced", "OIDC_CLIENT_SECRET": tracingClientSecret, "OIDC_AUTH_METHOD": "pkce",
		"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL, "OTEL_BSP_SCHEDULE_DELAY": "100"}
	for k, v := range env {
		full[k] = v
	}
	return startStack(t, func(redirect string) testenv.Client {
		return testenv.ConfidentialClient("traced", tracingClientSecret, redirect)
	}, full)
}

// visits records every URL a client was redirected to (the callback's code and state).
type visits struct {
	mu   sync.Mutex
	urls []*url.URL
}

func (v *visits) record(c *http.Client) {
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.urls = append(v.urls, req.URL)
		return nil
	}
}

// TestTracingFullSignIn signs in through the real binary with tracing on, then sends
// a request with the client's own traceparent: the spans arrive at the OTLP receiver
// with the right parents, the upstream continues the same trace, the sign-in outcome
// is an event with the audit line's reason, log lines carry the trace, and no exported
// span holds a token, cookie, code, state, secret or password.
func TestTracingFullSignIn(t *testing.T) {
	t.Parallel()
	rcv := tracingtest.Start(t)
	s := startTracedStack(t, rcv, nil)
	c := testenv.NewClient(t, true)
	var seen visits
	seen.record(c)
	if resp, body := testenv.ProviderLogin(t, c, s.gw.URL+"/start", "alice"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `<p id="user">alice</p>`) {
		t.Fatalf("sign-in: got %d at %s, want the upstream's answer for /start; body %q", resp.StatusCode, resp.Request.URL, body)
	}
	h := http.Header{"Traceparent": {"00-" + clientTrace + "-" + clientParent + "-01"}, "Accept": {"application/json"}}
	if resp, body := testenv.Fetch(t, c, s.gw.URL+"/traced", nil, h); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /traced: %d %q", resp.StatusCode, body)
	}

	has := func(spans []tracingtest.Span, name string) bool { return len(tracingtest.Named(spans, name)) > 0 }
	spans := rcv.WaitFor(t, 15*time.Second, "the sign-in's and the proxied request's spans", func(spans []tracingtest.Span) bool {
		for _, n := range []string{"GET sign_in", "idp discovery", "idp jwks", "idp token", "session.load", "rules.decide", "upstream"} {
			if !has(spans, n) {
				return false
			}
		}
		for _, sp := range tracingtest.Named(spans, "upstream") {
			if sp.TraceID() == clientTrace {
				return true
			}
		}
		return false
	})
	byID := map[string]tracingtest.Span{}
	for _, sp := range spans {
		byID[sp.SpanID()] = sp
		if sp.Resource["service.name"] != "ssogate" {
			t.Errorf("span %q: service.name %q, want ssogate", sp.Name, sp.Resource["service.name"])
		}
	}

	// The callback: a server span with the sign-in event, the token call under it.
	var callback tracingtest.Span
	for _, sp := range tracingtest.Named(spans, "GET sign_in") {
		if sp.Attr("url.path") == "/oidc/callback" {
			callback = sp
		}
	}
	if callback.Span == nil {
		t.Fatal("no server span for GET /oidc/callback")
	}
	if ev, ok := callback.Event("sign_in"); !ok || ev["ssogate.outcome"] != "success" || ev["ssogate.reason"] != "ok" {
		t.Errorf("callback span's sign_in event: %v (found %v), want outcome success, reason ok", ev, ok)
	}
	tokens := tracingtest.Named(spans, "idp token")
	if len(tokens) != 1 || tokens[0].ParentID() != callback.SpanID() || tokens[0].TraceID() != callback.TraceID() {
		t.Errorf("idp token spans %d; want one under the callback span %s", len(tokens), callback.SpanID())
	}
	rec := s.gw.WaitRecord(t, "sign-in succeeded", testenv.LogWait, func(map[string]any) bool { return true })
	if testenv.Str(rec, "trace_id") != callback.TraceID() || testenv.Str(rec, "span_id") != callback.SpanID() {
		t.Errorf("the sign-in audit line has trace_id %q span_id %q, want the callback span's %s %s",
			testenv.Str(rec, "trace_id"), testenv.Str(rec, "span_id"), callback.TraceID(), callback.SpanID())
	}

	// The proxied request continues the client's trace; its children hang under it.
	var server tracingtest.Span
	for _, sp := range tracingtest.Named(spans, "GET upstream") {
		if sp.TraceID() == clientTrace {
			server = sp
		}
	}
	if server.Span == nil || server.ParentID() != clientParent {
		t.Fatalf("no GET upstream span continuing the client's traceparent (parent %s)", clientParent)
	}
	var upstream tracingtest.Span
	for _, name := range []string{"session.load", "rules.decide", "upstream"} {
		found := false
		for _, sp := range tracingtest.Named(spans, name) {
			if sp.TraceID() == clientTrace && sp.ParentID() == server.SpanID() {
				found = true
				if name == "upstream" {
					upstream = sp
				}
			}
		}
		if !found {
			t.Errorf("no %s span under the proxied request's span", name)
		}
	}
	got := lastReceived(t, s, "/traced").Headers["Traceparent"]
	if want := "00-" + clientTrace + "-" + upstream.SpanID() + "-01"; len(got) != 1 || got[0] != want {
		t.Errorf("the upstream received traceparent %q, want %q (the upstream span's context)", got, want)
	}
	access := s.gw.WaitRecord(t, "request", testenv.LogWait, func(r map[string]any) bool { return r["path"] == "/traced" })
	if testenv.Str(access, "trace_id") != clientTrace || testenv.Str(access, "span_id") != server.SpanID() {
		t.Errorf("the access line has trace_id %q span_id %q, want %s %s", testenv.Str(access, "trace_id"), testenv.Str(access, "span_id"), clientTrace, server.SpanID())
	}

	// Nothing secret anywhere in what was exported.
	secrets := map[string]string{"client secret": tracingClientSecret, "password": "alice", "a JWT": "eyJ"}
	gwURL, _ := url.Parse(s.gw.URL)
	for _, ck := range c.Jar.Cookies(gwURL) {
		secrets["cookie "+ck.Name] = ck.Value
	}
	seen.mu.Lock()
	for _, u := range seen.urls {
		if u.Path == "/oidc/callback" {
			secrets["code"], secrets["state"] = u.Query().Get("code"), u.Query().Get("state")
		}
	}
	seen.mu.Unlock()
	if secrets["code"] == "" || len(secrets) < 6 {
		t.Fatalf("the test did not capture the code and the session cookie: %v", secrets)
	}
	for _, sp := range rcv.Spans() {
		for _, text := range sp.Texts() {
			for what, secret := range secrets {
				if len(secret) >= 3 && strings.Contains(text, secret) {
					t.Errorf("span %q carries the %s in %q", sp.Name, what, text)
				}
			}
		}
	}
	t.Logf("%d spans scanned", len(rcv.Spans()))
}

// TestTracingNone: with OTEL_TRACES_EXPORTER=none and an endpoint set, nothing is
// exported, even at shutdown, and the client's traceparent reaches the upstream as sent.
func TestTracingNone(t *testing.T) {
	t.Parallel()
	rcv := tracingtest.Start(t)
	s := startTracedStack(t, rcv, map[string]string{"OTEL_TRACES_EXPORTER": "none"})
	c := testenv.NewClient(t, true)
	if resp, _ := testenv.ProviderLogin(t, c, s.gw.URL+"/start", "alice"); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: got %d", resp.StatusCode)
	}
	sent := "00-" + clientTrace + "-" + clientParent + "-01"
	testenv.Fetch(t, c, s.gw.URL+"/untraced", nil, http.Header{"Traceparent": {sent}, "Accept": {"application/json"}})
	if got := lastReceived(t, s, "/untraced").Headers["Traceparent"]; len(got) != 1 || got[0] != sent {
		t.Errorf("the upstream received traceparent %q, want the client's %q untouched", got, sent)
	}
	if rec := s.gw.WaitRecord(t, "ssogate started", testenv.LogWait, func(map[string]any) bool { return true }); rec["tracing"] != false {
		t.Errorf("start-up line says tracing=%v, want false", rec["tracing"])
	}
	s.gw.Stop(t)
	if n := rcv.Requests(); n != 0 {
		t.Errorf("the receiver got %d export requests, want none", n)
	}
	if strings.Contains(s.gw.Logs(), "trace_id") {
		t.Error("a log line carries a trace_id with tracing off")
	}
}
