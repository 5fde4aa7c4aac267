package proxy

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/clientip"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/session"
)

// verdict is what the gateway decided about a request.
type verdict int

const (
	allow verdict = iota
	unauthenticated
	forbidden
	storeDown
	passthrough         // API key: upstream without identity, for the application to check
	unauthorizedMachine // Authorization header present but not accepted
)

// decision is the outcome of decide: the same for the reverse proxy and forward-auth,
// which differ only in where they put the identity.
type decision struct {
	verdict  verdict
	session  *session.Session
	reason   string            // forbidden: for the user; storeDown: the cause
	ruleCode string            // forbidden: for logs, and the page's text in the user's language
	ruleArgs map[string]string // forbidden: the values the reason names
	err      error
}

// cookieRefusedMessage is the warning for a session cookie that is there but does not
// open; the request goes on as not signed in.
const cookieRefusedMessage = "session cookie refused: treated as not signed in"

// cookieRefusedHint tells the operator what a refused cookie usually means.
const cookieRefusedHint = "expected from browsers still holding a cookie from before COOKIE_SECRET or SESSION_STORE changed (they sign in again and get a new one); otherwise the cookie was altered or a chunk of it lost on the way"

// decide looks up the request's session (or machine credentials), checks it was not
// revoked, refreshes it when due, and applies the access rules. It writes to w only to
// delete the cookie of a session the IdP ended.
func (g *Gateway) decide(w http.ResponseWriter, r *http.Request) decision {
	if d, ok := g.decideMachine(r); ok {
		return d
	}
	_, span := tracing.Start(r.Context(), "session.load")
	s, err := g.opts.Sessions.Load(r)
	if err == nil && g.opts.Revoker != nil && g.opts.Server == nil {
		// A server-side store deletes what a logout ends; the list is for cookies.
		err = session.CheckRevoked(r.Context(), g.opts.Revoker, s)
	}
	endSessionSpan(span, err)
	if err == nil {
		s, err = g.refresh(r, s)
		if errors.Is(err, errRefreshEnded) {
			_ = g.opts.Sessions.Delete(w, r)
			return decision{verdict: unauthenticated}
		}
	}
	if err != nil {
		if errors.Is(err, session.ErrCookieRefused) {
			g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, cookieRefusedMessage,
				slog.String("request_id", httperr.RequestID(r.Context())), slog.String("client_ip", clientip.From(r)),
				slog.String("cause", err.Error()), slog.String("hint", cookieRefusedHint))
			return decision{verdict: unauthenticated}
		}
		if errors.Is(err, session.ErrNoSession) {
			g.opts.Logger.LogAttrs(r.Context(), slog.LevelDebug, "no valid session",
				slog.String("request_id", httperr.RequestID(r.Context())), slog.String("cause", err.Error()))
			return decision{verdict: unauthenticated}
		}
		return decision{verdict: storeDown, err: err}
	}
	g.touch(w, r, s)
	return g.judge(r, s)
}

// judge applies the live role mapping and access rules to a verified session.
func (g *Gateway) judge(r *http.Request, s *session.Session) decision {
	_, span := tracing.Start(r.Context(), "rules.decide")
	rules := g.rules()
	s = g.current(s, rules)
	rule := rules.Check(s.Identity)
	endRulesSpan(span, rule.Allowed, rule.Code)
	if !rule.Allowed {
		return decision{verdict: forbidden, session: s, reason: rule.Reason, ruleCode: rule.Code, ruleArgs: rule.Args}
	}
	return decision{verdict: allow, session: s}
}

// touch tells a store that keeps sessions alive by re-issuing them (the cookie
// store with SESSION_IDLE_TIMEOUT) that s is in use. A failure leaves the cookie as
// it was, which still works until it idles out.
func (g *Gateway) touch(w http.ResponseWriter, r *http.Request, s *session.Session) {
	t, ok := g.opts.Sessions.(session.Toucher)
	if !ok {
		return
	}
	if err := t.Touch(w, r, s); err != nil {
		g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "session not re-issued",
			slog.String("request_id", httperr.RequestID(r.Context())), slog.String("cause", err.Error()))
	}
}

// protected serves every path that is not the gateway's own: proxied upstream for
// anyone on PUBLIC_PATHS, otherwise when signed in and allowed.
func (g *Gateway) protected(w http.ResponseWriter, r *http.Request) error {
	if g.upstream == nil {
		return &httperr.HTTPError{Key: "error.auth_only", Status: http.StatusNotFound, Title: "Not found", Code: "auth_only",
			Message: "This gateway runs in forward-auth mode (no UPSTREAM_URL): only the gateway's own paths (/oidc/login, /oidc/callback, /oidc/auth, /logout, …) are served here. Point your ingress's auth check at /oidc/auth."}
	}
	if g.looped(r) {
		return g.refuseLoop(r)
	}
	warnSpoofed(g.opts.Logger, r, spoofHintProxied) // before the gateway puts its own on r
	if g.public.Match(r.URL.EscapedPath()) {
		// PUBLIC_PATHS: for anyone, and never with an identity, not even a signed-in
		// user's (the rewrite strips the client's identity headers and sets none).
		g.opts.Logger.LogAttrs(r.Context(), slog.LevelDebug, "public path",
			slog.String("request_id", httperr.RequestID(r.Context())), slog.String("path", r.URL.Path))
		g.serveUpstream(w, r)
		return nil
	}
	d := g.decide(w, r)
	switch d.verdict {
	case unauthenticated:
		return g.unauthenticated(w, r)
	case storeDown:
		return storeError(d.err)
	case forbidden:
		return g.forbid(w, r, d)
	case unauthorizedMachine:
		return g.refuseMachine(w, r, d)
	case passthrough:
		g.serveUpstream(w, r)
		return nil
	}
	h, err := g.identityHeaders(d.session)
	if err != nil {
		return err
	}
	// The requestID middleware, first on every route, put the request's info there.
	info := requestInfoFrom(r.Context())
	info.upstream = h
	ctx, span := tracing.StartClient(r.Context(), "upstream")
	if span.IsRecording() {
		info.trace = ctx
		defer span.End()
	}
	// Also on the incoming request, only so that the proxy's copy of its headers has
	// room for them: the rewrite removes every identity header of the copy and sets
	// these again, after the proxy dropped what Connection names.
	for k, v := range h {
		r.Header[k] = v
	}
	g.serveUpstream(w, r)
	return nil
}

// serveUpstream passes r to the upstream and reports the status the client got (the
// upstream's, or the 502 page) and how long it took to Hooks.Upstream.
func (g *Gateway) serveUpstream(w http.ResponseWriter, r *http.Request) {
	start := g.opts.Now()
	allowProxying(w, r)
	g.upstream.ServeHTTP(w, r)
	hook := g.opts.Hooks.Upstream
	if hook == nil {
		return
	}
	status := 0 // not seen: counted as "other"
	if info := requestInfoFrom(r.Context()); info != nil && info.resp != nil {
		status = responseStatus(info.resp, r)
	}
	hook(status, g.since(start))
}

// forbid answers a signed-in user the rules refuse, with an audit line.
func (g *Gateway) forbid(w http.ResponseWriter, r *http.Request, d decision) error {
	id := d.session.Identity
	tracing.Event(r.Context(), "access_denied", "", d.ruleCode)
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "access denied",
		slog.Bool("audit", true), slog.String("event", "access_denied"), slog.String("reason", d.ruleCode),
		slog.String("request_id", httperr.RequestID(r.Context())), slog.String("user", id.Username),
		slog.String("sub", id.Subject), slog.String("path", r.URL.Path))
	if !httperr.WantsHTML(r) {
		httperr.WriteJSON(w, http.StatusForbidden, map[string]string{"error": "forbidden", "message": d.reason, "request_id": httperr.RequestID(r.Context())})
		return nil
	}
	return g.renderForbidden(w, r, id, d)
}

// headerCacheBytes bounds the memory spent on sessions' identity headers.
const headerCacheBytes = 4 << 20

// sessionHeaders are a session's identity headers and what they were built from.
type sessionHeaders struct {
	assertion, username, email, role string
	groups                           []string
	h                                http.Header
}

// builtFrom reports whether c was built from id and assertion a. The groups are
// compared by value: a session opened from a store's cache shares its groups with
// the cached one, and Go compares such shared strings at the cost of their lengths.
func (c sessionHeaders) builtFrom(id *claims.Identity, a string) bool {
	return c.assertion == a && c.username == id.Username && c.email == id.Email && c.role == id.Role &&
		slices.Equal(c.groups, id.Groups)
}

// identityHeaders returns the headers that carry s's identity upstream (and on
// forward-auth responses): user, email, groups, role and the signed assertion.
//
// With assertions on, they are built once per session and assertion and shared
// (BenchmarkIdentityHeaders: 1 allocation instead of 9, and 16 bytes instead of
// 8.7 KB with 200 groups; see bench/README.md). The invariants:
//   - an entry is used only while the assertion and every identity field the
//     headers carry are what it was built from (builtFrom);
//   - callers copy the entries into their own header and never change the values.
//
// Without assertions, or for a bearer token's identity (no session ID, signed
// afresh each time), they are built per request.
func (g *Gateway) identityHeaders(s *session.Session) (http.Header, error) {
	id := s.Identity
	if g.opts.Assertions == nil {
		return buildIdentityHeaders(id, ""), nil
	}
	a, err := g.opts.Assertions.Get(id, s.ID)
	if err != nil {
		return nil, err
	}
	if s.ID == "" {
		return buildIdentityHeaders(id, a), nil
	}
	if c, ok := g.headers.Get(s.ID); ok && c.builtFrom(&id, a) {
		return c.h, nil
	}
	h := buildIdentityHeaders(id, a)
	size := len(id.Username) + len(id.Email) + 2*len(h[HeaderGroups][0]) + len(id.Role) + len(a)
	g.headers.Put(s.ID, sessionHeaders{assertion: a, username: id.Username, email: id.Email, role: id.Role,
		groups: id.Groups, h: h}, size+512)
	return h, nil
}

func buildIdentityHeaders(id claims.Identity, assertion string) http.Header {
	h := make(http.Header, 5)
	h[HeaderUser] = []string{id.Username}
	h[HeaderEmail] = []string{id.Email}
	h[HeaderGroups] = []string{joinGroups(id.Groups)}
	h[HeaderRole] = []string{id.Role}
	if assertion != "" {
		h[HeaderAssertion] = []string{assertion}
	}
	return h
}

// storeError is the page for a session store that cannot be reached.
func storeError(err error) error {
	return &httperr.HTTPError{Key: "error.store_unavailable", Status: http.StatusServiceUnavailable, Title: "Temporarily unavailable",
		Message:    "The session store cannot be reached right now. Please try again in a moment.",
		RetryAfter: 5, Code: "session_store_unavailable", Err: err}
}
