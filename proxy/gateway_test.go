package proxy

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/session"
)

// Abandoned logins cannot grow the browser's cookies without bound; the newest login
// still completes.
func TestLoginCookiesAreBounded(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	var auths []string
	for i := range 10 {
		auths = append(auths, b.startLogin("/oidc/login?rd=%2Fn"+string(rune('0'+i))))
		if _, n := b.loginCookies(); n > maxLoginCookies {
			t.Fatalf("after %d logins: %d login cookies, want at most %d", i+1, n, maxLoginCookies)
		}
	}
	resp, body := b.send(b.idpLogin(auths[0], "alice", "alice"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("oldest, pruned login: got %d, want 400; body %q", resp.StatusCode, body)
	}
	resp, body = b.send(b.idpLogin(auths[9], "alice", "alice"))
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/n9" {
		t.Errorf("newest login: got %d Location %q, want 303 /n9; body %q", resp.StatusCode, got, body)
	}
}

func TestUnixSocketUpstream(t *testing.T) {
	dir, err := os.MkdirTemp("", "ssogate") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "up.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	hits := new(atomic.Int64)
	srv := &http.Server{Handler: echoUpstream(hits)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	f := newFixture(t, fixtureOptions{upstreamURL: &url.URL{Scheme: "unix", Path: sock}})
	b := f.browser()
	b.signIn("/")
	resp, body := b.api("/api/runs?x=1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got %d, want 200; body %q", resp.StatusCode, body)
	}
	if e := decodeEcho(t, body); e.URI != "/api/runs?x=1" || e.Header.Get(HeaderUser) != "alice" {
		t.Errorf("upstream saw %q as %q, want /api/runs?x=1 as alice", e.URI, e.Header.Get(HeaderUser))
	}
	if hits.Load() != 1 {
		t.Errorf("socket upstream requests: got %d, want 1", hits.Load())
	}
}

// panickyAsserter fails the way a bug would.
type panickyAsserter struct{}

func (panickyAsserter) Get(claims.Identity, string) (string, error) { panic("assertion bug") }
func (panickyAsserter) Forget(string)                               {}

func TestPanicIsA500PageNotADroppedConnection(t *testing.T) {
	f := newFixture(t, fixtureOptions{asserter: panickyAsserter{}})
	b := f.browser()
	b.signIn("/")
	resp, body := b.navigate("/runs")
	rid := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, rid) || strings.Contains(body, "assertion bug") {
		t.Errorf("got %d, want a 500 page with request ID %q and no panic text; body %q", resp.StatusCode, rid, body)
	}
	recs := f.logs.records(t, "panic serving request")
	if len(recs) != 1 || recs[0]["request_id"] != rid || !strings.Contains(fmt.Sprint(recs[0]["stack"]), "panickyAsserter") {
		t.Errorf("panic log lines: got %v, want one for %q with the stack", recs, rid)
	}
}

func TestJoinGroups(t *testing.T) {
	for _, tc := range []struct {
		groups []string
		want   string
	}{
		{nil, ""},
		{[]string{"ml-team"}, "ml-team"},
		{[]string{"wandb-admins", "ml-team"}, "wandb-admins,ml-team"},
		{[]string{"CN=ml,OU=groups", "x"}, "CN=ml%2COU=groups,x"},
		{[]string{"a,b"}, "a%2Cb"},
		{[]string{"김지수 팀", "Zoë"}, "김지수 팀,Zoë"},
	} {
		if got := joinGroups(tc.groups); got != tc.want {
			t.Errorf("joinGroups(%q): got %q, want %q", tc.groups, got, tc.want)
		}
	}
}

func TestRequestHookRouteClass(t *testing.T) {
	for path, want := range map[string]string{
		"/oidc/auth":                  "forward_auth",
		"/oidc/callback":              "sign_in",
		"/oidc/login":                 "sign_in",
		"/logout":                     "logout",
		"/oidc/backchannel-logout":    "logout",
		"/oidc/userinfo":              "gateway",
		"/oidc/token":                 "upstream",
		"/api/runs":                   "upstream",
		"/oidc-lookalike/../api/runs": "upstream",
	} {
		if got := RouteClass(path); got != want {
			t.Errorf("RouteClass(%q): got %q, want %q", path, got, want)
		}
	}
}

// TestIdentityHeadersFollowTheSession: a session's identity headers are built once
// and reused, but a change of user, email, role or groups (a refresh, a new
// sign-in) shows at once, even when the assertion stays the same.
func TestIdentityHeadersFollowTheSession(t *testing.T) {
	f := newFixture(t, fixtureOptions{method: methods[0]})
	s := &session.Session{ID: "sess-1", Identity: claims.Identity{Username: "alice", Email: "alice@example.com",
		Role: claims.RoleMember, Groups: []string{"ml-team"}}}
	first, err := f.gw.identityHeaders(s)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := f.gw.identityHeaders(s)
	if &first[HeaderUser][0] != &again[HeaderUser][0] {
		t.Error("the second request of a session built its headers again")
	}
	for name, change := range map[string]func(*claims.Identity){
		"groups": func(id *claims.Identity) { id.Groups = []string{"ml-team", "wandb-admins"} },
		"role":   func(id *claims.Identity) { id.Role = claims.RoleAdmin },
		"email":  func(id *claims.Identity) { id.Email = "alice@other.example" },
	} {
		changed := *s
		change(&changed.Identity)
		h, err := f.gw.identityHeaders(&changed)
		if err != nil {
			t.Fatal(err)
		}
		want := buildIdentityHeaders(changed.Identity, h.Get(HeaderAssertion))
		for _, k := range []string{HeaderGroups, HeaderRole, HeaderEmail} {
			if h.Get(k) != want.Get(k) {
				t.Errorf("after a change of %s: %s = %q, want %q", name, k, h.Get(k), want.Get(k))
			}
		}
	}
}
