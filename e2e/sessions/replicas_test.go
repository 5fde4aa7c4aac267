package sessions

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestSessionSharedAcrossReplicas: a browser signs in through replica A; replica B
// knows the session from Redis, for a copied cookie and for the browser itself.
func TestSessionSharedAcrossReplicas(t *testing.T) {
	c := startCluster(t, false, redisStore, redisStore)
	a, b := c.gws[0], c.gws[1]
	ctx := testenv.Chrome(t)

	if e := signIn(t, ctx, c, a, "/app", "alice"); e.User != "alice" || e.Host != hostOf(a) {
		t.Fatalf("after signing in through A the upstream got %+v, want user alice via %s", e, hostOf(a))
	}
	cookie := cookieHeader(t, ctx, b.URL)
	if e := wantUpstream(t, b, cookie, "alice"); e.Host != hostOf(b) {
		t.Errorf("the request to B reached the upstream via %q, want %q", e.Host, hostOf(b))
	}
	if e := signIn(t, ctx, c, b, "/dashboard", ""); e.User != "alice" || e.Host != hostOf(b) {
		t.Errorf("the browser at B: the upstream got %+v, want user alice via %s", e, hostOf(b))
	}
	if n := len(testenv.RecordsWithMsg(b.Logs(), "sign-in succeeded")); n != 0 {
		t.Errorf("B logged %d sign-ins, want 0: the session came from Redis", n)
	}
	if n := len(testenv.RecordsWithMsg(a.Logs(), "sign-in succeeded")); n != 1 {
		t.Errorf("A logged %d sign-ins, want 1", n)
	}
}

// TestLogoutOnOneEndsBoth: /logout on A deletes the session from Redis, so B refuses
// even a copied cookie, and A sends the browser to the provider's end-session
// endpoint with the ID token the Redis store kept.
func TestLogoutOnOneEndsBoth(t *testing.T) {
	c := startCluster(t, false, redisStore, redisStore)
	a, b := c.gws[0], c.gws[1]
	ctx := testenv.Chrome(t)
	signIn(t, ctx, c, a, "/app", "alice")
	cookie := cookieHeader(t, ctx, a.URL)
	wantUpstream(t, b, cookie, "alice")

	r := get(t, a.URL+"/logout", cookie, testenv.AcceptHTML)
	if r.status != http.StatusFound {
		t.Fatalf("GET %s/logout: status %d, want 302\n%s", a.URL, r.status, r.body)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("GET /logout: Cache-Control %q, want no-store", got)
	}
	if !expiresSessionCookie(r.header) {
		t.Errorf("GET /logout: Set-Cookie %q does not expire the ssogate cookie", r.header.Values("Set-Cookie"))
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatalf("GET /logout: Location %q: %v", r.header.Get("Location"), err)
	}
	if want := endSessionEndpoint(t, c.idp); loc.Scheme+"://"+loc.Host+loc.Path != want {
		t.Errorf("GET /logout redirects to %s, want the provider's end_session_endpoint %s", loc, want)
	}
	q := loc.Query()
	if got, want := q.Get("post_logout_redirect_uri"), a.URL+"/"; got != want {
		t.Errorf("post_logout_redirect_uri = %q, want %q", got, want)
	}
	wantIDTokenHint(t, c, loc, "alice")

	wantUnauthenticated(t, b, cookie)
	wantUnauthenticated(t, a, cookie)

	// The provider accepts the redirect: the hint is its own ID token and the return
	// address is registered.
	endAtProvider(t, ctx, c, loc)
}

// wantIDTokenHint checks that the end-session redirect loc carries an ID token of the
// cluster's provider for user as id_token_hint.
func wantIDTokenHint(t *testing.T, c *cluster, loc *url.URL, user string) {
	t.Helper()
	hint := testenv.JWTClaims(t, loc.Query().Get("id_token_hint"))
	if hint["sub"] != user || hint["aud"] != clientID || hint["iss"] != c.idp.Issuer {
		t.Errorf("id_token_hint claims sub %v, aud %v, iss %v; want %s, %s, %s", hint["sub"], hint["aud"], hint["iss"], user, clientID, c.idp.Issuer)
	}
}

// endAtProvider follows the end-session redirect loc in the browser, confirms the
// logout on the provider's page and waits for the provider to log its success.
func endAtProvider(t *testing.T, ctx context.Context, c *cluster, loc *url.URL) context.Context {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancel)
	if err := chromedp.Do(cctx, chromedp.Navigate(loc.String()), testenv.LogoutOIDCProvider()); err != nil {
		t.Fatalf("end the session at the provider: %v\n--- provider log ---\n%s", err, c.idp.Logs())
	}
	c.idp.WaitLog(t, "EVENT end_session.success client="+clientID, 10*time.Second)
	return cctx
}

// hostOf returns the host:port of gw's public URL.
func hostOf(gw *testenv.Gateway) string { return strings.TrimPrefix(gw.URL, "http://") }

// expiresSessionCookie reports whether h expires the ssogate cookie.
func expiresSessionCookie(h http.Header) bool {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "ssogate" && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// endSessionEndpoint reads the provider's end_session_endpoint from discovery.
func endSessionEndpoint(t *testing.T, p *testenv.Provider) string {
	t.Helper()
	r := get(t, p.DiscoveryURL(), "", acceptJSON)
	ep, _ := r.jsonBody(t)["end_session_endpoint"].(string)
	if ep == "" {
		t.Fatalf("the provider's discovery has no end_session_endpoint: %s", r.body)
	}
	return ep
}

// TestSessionsOverUnixSocket: SESSION_STORE=unix:///PATH?db=0 (docs/sessions.md). Two
// replicas keep their sessions in a Redis they reach only through its socket: a
// sign-in through A works at B, and a logout at A ends it at B.
func TestSessionsOverUnixSocket(t *testing.T) {
	r := testenv.StartRedisWithSocket(t)
	c := startClusterOn(t, r.SocketURL(t), redisStore, redisStore)
	a, b := c.gws[0], c.gws[1]
	ctx := testenv.Chrome(t)
	if e := signIn(t, ctx, c, a, "/app", "alice"); e.User != "alice" {
		t.Fatalf("after signing in through A the upstream got %+v, want user alice", e)
	}
	cookie := cookieHeader(t, ctx, a.URL)
	wantUpstream(t, b, cookie, "alice")
	if got := get(t, a.URL+"/logout", cookie, testenv.AcceptHTML); got.status != http.StatusFound {
		t.Fatalf("GET %s/logout: status %d, want 302\n%s", a.URL, got.status, got.body)
	}
	wantUnauthenticated(t, b, cookie)
	for _, gw := range c.gws {
		if rec := testenv.RecordsWithMsg(gw.Logs(), "ssogate started"); len(rec) != 1 || rec[0]["session_store"] != "redis" {
			t.Errorf("gateway %s started with %v, want session_store redis", gw.URL, rec)
		}
	}
}
