package sessions

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestFrontChannelLogoutBySID: the IdP's front-channel logout (GET /logout?sid=…,
// from an iframe without the gateway's cookie) ends that IdP session's gateway
// sessions: on every replica with Redis, and on the receiving gateway with cookie
// sessions, which remembers the sid in memory.
func TestFrontChannelLogoutBySID(t *testing.T) {
	c := startCluster(t, false, redisStore, redisStore, cookieStore)
	a, b, solo := c.gws[0], c.gws[1], c.gws[2]

	t.Run("redis", func(t *testing.T) {
		ctx := testenv.Chrome(t)
		signIn(t, ctx, c, a, "/app", "alice")
		cookie := cookieHeader(t, ctx, a.URL)
		sid := userinfoSID(t, a, cookie)

		r := frontChannel(t, b, url.Values{"sid": {sid}, "iss": {"https://idp.invalid"}})
		wantWrongIssuer(t, r)
		wantUpstream(t, a, cookie, "alice")

		wantSignedOut(t, frontChannel(t, b, url.Values{"sid": {sid}, "iss": {c.idp.Issuer}}))
		rec := b.WaitRecord(t, "front-channel logout", 10*time.Second, func(m map[string]any) bool { return m["sid"] == sid })
		if rec["sessions_ended"] != float64(1) {
			t.Errorf("B's front-channel logout line: sessions_ended %v, want 1", rec["sessions_ended"])
		}
		wantUnauthenticated(t, a, cookie)
		wantUnauthenticated(t, b, cookie)

		// The provider still has its session: the browser signs in again without a
		// form, and a front-channel logout without iss ends that session too.
		signIn(t, ctx, c, a, "/app", "")
		again := cookieHeader(t, ctx, a.URL)
		if again == cookie {
			t.Fatalf("the second sign-in kept the first session's cookie")
		}
		sid2 := userinfoSID(t, b, again)
		wantSignedOut(t, frontChannel(t, b, url.Values{"sid": {sid2}}))
		wantUnauthenticated(t, a, again)
		wantUnauthenticated(t, b, again)
	})

	t.Run("cookie", func(t *testing.T) {
		ctx := testenv.Chrome(t)
		signIn(t, ctx, c, solo, "/app", "alice")
		cookie := cookieHeader(t, ctx, solo.URL)
		sid := userinfoSID(t, solo, cookie)

		wantWrongIssuer(t, frontChannel(t, solo, url.Values{"sid": {sid}, "iss": {"https://idp.invalid"}}))
		wantUpstream(t, solo, cookie, "alice")

		wantSignedOut(t, frontChannel(t, solo, url.Values{"sid": {sid}, "iss": {c.idp.Issuer}}))
		// The cookie itself is still intact and unexpired: only the in-memory
		// revocation of its sid refuses it now.
		wantUnauthenticated(t, solo, cookie)
		r := get(t, solo.URL+"/oidc/userinfo", cookie, acceptJSON)
		if r.status != http.StatusUnauthorized {
			t.Errorf("GET /oidc/userinfo with the revoked cookie: status %d, want 401\n%s", r.status, r.body)
		}
	})
}

// frontChannel sends the IdP's front-channel logout to gw, without cookies.
func frontChannel(t *testing.T, gw *testenv.Gateway, q url.Values) reply {
	t.Helper()
	return get(t, withQuery(gw.URL+"/logout", q), "", testenv.AcceptHTML)
}

// wantSignedOut checks a front-channel logout's answer: 200, not cached, no redirect.
func wantSignedOut(t *testing.T, r reply) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("front-channel logout: status %d, want 200\n%s", r.status, r.body)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("front-channel logout: Cache-Control %q, want no-store", got)
	}
	if got := r.header.Get("Location"); got != "" {
		t.Errorf("front-channel logout: Location %q, want none", got)
	}
}

// wantWrongIssuer checks the answer to a front-channel logout naming another IdP.
func wantWrongIssuer(t *testing.T, r reply) {
	t.Helper()
	if r.status != http.StatusBadRequest {
		t.Fatalf("front-channel logout with a wrong iss: status %d, want 400\n%s", r.status, r.body)
	}
	if got := r.header.Get("Location"); got != "" {
		t.Errorf("front-channel logout with a wrong iss: Location %q, want none", got)
	}
	if !strings.Contains(r.body, "another identity provider") {
		t.Errorf("front-channel logout with a wrong iss: the page does not say why:\n%s", r.body)
	}
}
