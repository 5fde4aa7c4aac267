// Package storetest is the conformance suite every session.Store must pass. Run it
// from the store's own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) session.Store { return newTestStore(t) })
//	}
//
// The suite plays the browser: it carries the cookies a Save or Delete response
// sets into the next request, honouring deletions as a browser does. RunRevoker is
// the same for every session.Revoker (memory and Redis).
package storetest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/session"
)

// Run runs the conformance suite against stores made by newStore, one per
// subtest. Sessions expire relative to time.Now, so the stores must use the real clock.
func Run(t *testing.T, newStore func(t *testing.T) session.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s session.Store)
	}{
		{"NoCookie", testNoCookie},
		{"RoundTrip", testRoundTrip},
		{"UnicodeNames", testUnicode},
		{"ManyGroups", testManyGroups},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"Expired", testExpired},
		{"Tampered", testTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore(t)) })
	}
}

// Sample returns a fully populated session expiring in an hour, for tests.
func Sample() *session.Session {
	now := time.Now().UTC().Truncate(time.Second)
	return &session.Session{
		ID: "sess-0123456789",
		Identity: claims.Identity{
			Subject:       "00u1abcd",
			Username:      "ada",
			Email:         "ada@example.com",
			EmailVerified: true,
			Name:          "Ada Lovelace",
			Groups:        []string{"ml-team", "wandb-admins"},
			Role:          claims.RoleAdmin,
			Issuer:        "https://idp.example.com",
			IdP:           "okta",
			AMR:           []string{claims.AMRSSO},
			SessionID:     "idp-sid-1",
			HostedDomain:  "example.com",
			AuthTime:      now.Add(-time.Minute),
		},
		CreatedAt:    now,
		ExpiresAt:    now.Add(time.Hour),
		IDToken:      "header.payload.signature",
		RefreshToken: "refresh-token-value",
		RefreshedAt:  now,
	}
}

// ManyGroups returns n distinct, long group names.
func ManyGroups(n int) []string {
	groups := make([]string, n)
	for i := range groups {
		groups[i] = fmt.Sprintf("org-engineering-platform-machine-learning-team-%03d", i)
	}
	return groups
}

func testNoCookie(t *testing.T, s session.Store) {
	got, err := s.Load(httptest.NewRequest(http.MethodGet, "/", nil))
	if !errors.Is(err, session.ErrNoSession) || got != nil {
		t.Errorf("Load without cookie = %v, %v; want nil, ErrNoSession", got, err)
	}
}

func testRoundTrip(t *testing.T, s session.Store) {
	want := Sample()
	jar := save(t, s, nil, want)
	got := mustLoad(t, s, jar)
	checkSame(t, got, want)
}

func testUnicode(t *testing.T, s session.Store) {
	tests := []struct{ username, name string }{
		{"김지수", "김지수"},
		{"zoë", "Zoë Ångström"},
		{"ødegård", "Ødegård 🚀 «quoted» \"and\" ; semi=colon"},
	}
	for _, tt := range tests {
		t.Run(tt.username, func(t *testing.T) {
			want := Sample()
			want.Identity.Username, want.Identity.Name = tt.username, tt.name
			want.Identity.Groups = []string{"연구팀", "équipe-ml"}
			got := mustLoad(t, s, save(t, s, nil, want))
			checkSame(t, got, want)
		})
	}
}

func testManyGroups(t *testing.T, s session.Store) {
	want := Sample()
	want.Identity.Groups = ManyGroups(200)
	got := mustLoad(t, s, save(t, s, nil, want))
	checkSame(t, got, want)
}

// testOverwrite saves small, large, then small again over the same browser: each
// load must see the latest session.
func testOverwrite(t *testing.T, s session.Store) {
	small, large := Sample(), Sample()
	small.ID, large.ID = "sess-small", "sess-large"
	large.Identity.Groups = ManyGroups(200)
	jar := map[string]string{}
	for _, want := range []*session.Session{small, large, small} {
		jar = save(t, s, jar, want)
		got := mustLoad(t, s, jar)
		if got.ID != want.ID || len(got.Identity.Groups) != len(want.Identity.Groups) {
			t.Errorf("after saving %s: got ID %q with %d groups, want %q with %d", want.ID, got.ID, len(got.Identity.Groups), want.ID, len(want.Identity.Groups))
		}
	}
}

func testDelete(t *testing.T, s session.Store) {
	for _, groups := range []int{2, 200} {
		t.Run(fmt.Sprintf("groups=%d", groups), func(t *testing.T) {
			sess := Sample()
			sess.Identity.Groups = ManyGroups(groups)
			jar := save(t, s, nil, sess)
			mustLoad(t, s, jar)

			rec := httptest.NewRecorder()
			if err := s.Delete(rec, request(jar)); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			jar = apply(jar, rec)
			if got, err := s.Load(request(jar)); !errors.Is(err, session.ErrNoSession) {
				t.Errorf("Load after Delete = %v, %v; want ErrNoSession", got, err)
			}
		})
	}
}

// testExpired saves a session whose ExpiresAt has passed. A store may refuse to
// save it; either way, whatever it wrote must not load, even when a client
// replays cookies the store asked it to drop.
func testExpired(t *testing.T, s session.Store) {
	sess := Sample()
	sess.CreatedAt = sess.CreatedAt.Add(-2 * time.Hour)
	sess.ExpiresAt = time.Now().Add(-time.Minute)
	rec := httptest.NewRecorder()
	_ = s.Save(rec, request(nil), sess) // refusing is allowed
	jar := map[string]string{}
	for _, c := range rec.Result().Cookies() {
		jar[c.Name] = c.Value
	}
	if got, err := s.Load(request(jar)); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("Load of expired session = %+v, %v; want ErrNoSession", got, err)
	}
}

// testTampered changes one character in each cookie value in turn.
func testTampered(t *testing.T, s session.Store) {
	sess := Sample()
	sess.Identity.Groups = ManyGroups(200)
	jar := save(t, s, nil, sess)
	for name, value := range jar {
		if value == "" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			bad := clone(jar)
			i := len(value) / 2
			c := byte('A')
			if value[i] == c {
				c = 'B'
			}
			bad[name] = value[:i] + string(c) + value[i+1:]
			if got, err := s.Load(request(bad)); !errors.Is(err, session.ErrNoSession) {
				t.Errorf("Load with %s tampered = %+v, %v; want ErrNoSession", name, got, err)
			}
		})
	}
}

// save saves sess from a browser holding jar and returns the browser's new jar.
func save(t *testing.T, s session.Store, jar map[string]string, sess *session.Session) map[string]string {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := s.Save(rec, request(jar), sess); err != nil {
		t.Fatalf("Save: %v", err)
	}
	return apply(jar, rec)
}

// mustLoad loads the session of a browser holding jar.
func mustLoad(t *testing.T, s session.Store, jar map[string]string) *session.Session {
	t.Helper()
	got, err := s.Load(request(jar))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got
}

// request builds a request carrying jar's cookies.
func request(jar map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for name, value := range jar {
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	return r
}

// apply updates a copy of jar with the response's Set-Cookie headers, as a
// browser would: a cookie with Max-Age ≤ 0 or an empty value is removed.
func apply(jar map[string]string, rec *httptest.ResponseRecorder) map[string]string {
	out := clone(jar)
	for _, c := range rec.Result().Cookies() {
		if c.Path != "" && c.Path != "/" {
			continue // not sent to "/": the cookie store's logout hint, scoped to /logout
		}
		if c.MaxAge < 0 || c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(out, c.Name)
			continue
		}
		out[c.Name] = c.Value
	}
	return out
}

func clone(jar map[string]string) map[string]string {
	out := make(map[string]string, len(jar))
	for k, v := range jar {
		out[k] = v
	}
	return out
}

// checkSame reports the differences between a loaded session and the saved one.
// Raw tokens may be dropped by a store, but never altered.
func checkSame(t *testing.T, got, want *session.Session) {
	t.Helper()
	var diffs []string
	field := func(name string, g, w any) {
		if fmt.Sprintf("%#v", g) != fmt.Sprintf("%#v", w) {
			diffs = append(diffs, fmt.Sprintf("%s: got %#v, want %#v", name, g, w))
		}
	}
	instant := func(name string, g, w time.Time) {
		if !g.Equal(w) {
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s", name, g, w))
		}
	}
	gi, wi := got.Identity, want.Identity
	field("ID", got.ID, want.ID)
	field("Subject", gi.Subject, wi.Subject)
	field("Username", gi.Username, wi.Username)
	field("Email", gi.Email, wi.Email)
	field("EmailVerified", gi.EmailVerified, wi.EmailVerified)
	field("Name", gi.Name, wi.Name)
	field("Groups", strings.Join(gi.Groups, "\n"), strings.Join(wi.Groups, "\n"))
	field("Role", gi.Role, wi.Role)
	field("Issuer", gi.Issuer, wi.Issuer)
	field("IdP", gi.IdP, wi.IdP)
	field("AMR", gi.AMR, wi.AMR)
	field("SessionID", gi.SessionID, wi.SessionID)
	field("HostedDomain", gi.HostedDomain, wi.HostedDomain)
	instant("AuthTime", gi.AuthTime, wi.AuthTime)
	instant("CreatedAt", got.CreatedAt, want.CreatedAt)
	instant("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	instant("RefreshedAt", got.RefreshedAt, want.RefreshedAt)
	if got.IDToken != "" && got.IDToken != want.IDToken {
		diffs = append(diffs, fmt.Sprintf("IDToken: got %q, want %q or none", got.IDToken, want.IDToken))
	}
	if got.RefreshToken != "" && got.RefreshToken != want.RefreshToken {
		diffs = append(diffs, fmt.Sprintf("RefreshToken: got %q, want %q or none", got.RefreshToken, want.RefreshToken))
	}
	for _, d := range diffs {
		t.Error(d)
	}
}
