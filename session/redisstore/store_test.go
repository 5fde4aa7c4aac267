package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
	"github.com/ssogate/ssogate/session/storetest"
)

func TestConformance(t *testing.T) {
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	for _, tt := range []struct {
		name   string
		secure bool
	}{{"http", false}, {"https", true}} {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) session.Store {
				flush(t, admin)
				return newStore(t, r.URL(), redisstore.Options{Secure: tt.secure})
			})
		})
	}
}

// TestDumpRevealsNothing reads every key and value in Redis after a save: none may
// hold the user's identity, the raw tokens or the session ID in clear.
func TestDumpRevealsNothing(t *testing.T) {
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	s := newStore(t, r.URL(), redisstore.Options{})
	sess := sample("gateway-session-id-7f3a", "idp-sid-93b1", "https://idp.example.com", "00u-subject-42")
	sess.Identity.Email = "zoe.angstrom@example.com"
	sess.Identity.Username = "zoe-angstrom"
	sess.IDToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwMHUifQ.c2lnbmF0dXJl"
	sess.RefreshToken = "refresh-rotating-6c1d"
	saveNew(t, s, sess)

	ctx := context.Background()
	keys, err := admin.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	var dump strings.Builder
	for _, k := range keys {
		dump.WriteString(k + "\n")
		switch typ := admin.Type(ctx, k).Val(); typ {
		case "string":
			dump.WriteString(admin.Get(ctx, k).Val())
		case "set":
			dump.WriteString(strings.Join(admin.SMembers(ctx, k).Val(), "\n"))
		case "zset":
			dump.WriteString(strings.Join(admin.ZRange(ctx, k, 0, -1).Val(), "\n"))
		case "hash":
			for f, v := range admin.HGetAll(ctx, k).Val() {
				dump.WriteString(f + "=" + v + "\n")
			}
		default:
			t.Errorf("key %s has unexpected type %s", k, typ)
		}
		dump.WriteString("\n")
	}
	if got, want := len(keys), 6; got != want { // record, meta, sid index, subject index, active and created sets
		t.Errorf("got %d keys %q, want %d", got, keys, want)
	}
	secrets := []struct{ name, value string }{
		{"email", sess.Identity.Email},
		{"email's local part", "zoe.angstrom"},
		{"username", sess.Identity.Username},
		{"name", sess.Identity.Name},
		{"group", sess.Identity.Groups[0]},
		{"subject", sess.Identity.Subject},
		{"IdP session ID", sess.Identity.SessionID},
		{"session ID", sess.ID},
		{"ID token", sess.IDToken},
		{"ID token payload", "eyJzdWIiOiIwMHUifQ"},
		{"refresh token", sess.RefreshToken},
	}
	for _, sec := range secrets {
		if strings.Contains(dump.String(), sec.value) {
			t.Errorf("Redis dump contains the %s %q in clear", sec.name, sec.value)
		}
	}
}

func TestTTL(t *testing.T) {
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	s := newStore(t, r.URL(), redisstore.Options{SessionLength: 2 * time.Hour})
	tests := []struct {
		name      string
		expiresIn time.Duration // 0: unset
		want      time.Duration
	}{
		{"until ExpiresAt", time.Hour, time.Hour},
		{"capped by SessionLength", 5 * time.Hour, 2 * time.Hour},
		{"SessionLength when ExpiresAt is unset", 0, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flush(t, admin)
			sess := sample("sess-ttl", "sid-ttl", "https://idp.example.com", "sub-ttl")
			sess.ExpiresAt = time.Time{}
			if tt.expiresIn != 0 {
				sess.ExpiresAt = time.Now().Add(tt.expiresIn)
			}
			rec := httptest.NewRecorder()
			if err := s.Save(rec, requestWith(nil), sess); err != nil {
				t.Fatalf("Save: %v", err)
			}
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("Save set %d cookies, want 1", len(cookies))
			}
			if got := time.Duration(cookies[0].MaxAge) * time.Second; got < tt.want-2*time.Second || got > tt.want {
				t.Errorf("cookie Max-Age = %v, want about %v", got, tt.want)
			}
			keys := admin.Keys(context.Background(), "ssogate:*").Val()
			for _, k := range keys {
				got := admin.PTTL(context.Background(), k).Val()
				if k == "ssogate:active" || k == "ssogate:created" {
					if got != -1 {
						t.Errorf("PTTL %s = %v, want none (one set for all sessions)", k, got)
					}
					continue
				}
				if got < tt.want-2*time.Second || got > tt.want {
					t.Errorf("PTTL %s = %v, want about %v", k, got, tt.want)
				}
			}
			if len(keys) != 6 {
				t.Errorf("keys after Save = %q, want a record, its meta, two indexes, the active and the created set", keys)
			}
		})
	}
}

// TestCookie checks the ticket cookie's name and attributes, and that chunk cookies
// left by the cookie store are expired.
func TestCookie(t *testing.T) {
	r := testenv.StartRedis(t)
	tests := []struct {
		name, cookieName string
		secure           bool
		wantName         string
	}{
		{"http default", "", false, "ssogate"},
		{"https default", "", true, "__Host-ssogate"},
		{"custom https", "__Host-gw", true, "__Host-gw"},
		{"custom http", "gw", false, "gw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, r.URL(), redisstore.Options{CookieName: tt.cookieName, Secure: tt.secure})
			old := requestWith(map[string]string{tt.wantName + "_0": "2.abc", tt.wantName + "_1": "def", "other_0": "x"})
			rec := httptest.NewRecorder()
			if err := s.Save(rec, old, storetest.Sample()); err != nil {
				t.Fatalf("Save: %v", err)
			}
			got := map[string]int{}
			for _, c := range rec.Result().Cookies() {
				got[c.Name] = c.MaxAge
				if c.Name == tt.wantName && (!c.HttpOnly || c.Secure != tt.secure || c.Path != "/" || c.Domain != "" || len(c.Value) > 200) {
					t.Errorf("ticket cookie %+v: want HttpOnly, Secure=%v, Path=/, no Domain, under 200 bytes", c, tt.secure)
				}
			}
			want := map[string]bool{tt.wantName: true, tt.wantName + "_0": false, tt.wantName + "_1": false}
			if len(got) != len(want) {
				t.Errorf("Save set cookies %v, want exactly %v", got, want)
			}
			for name, live := range want {
				if maxAge, ok := got[name]; !ok || (maxAge > 0) != live {
					t.Errorf("cookie %s: Max-Age %d (set %v), want live=%v", name, maxAge, ok, live)
				}
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	codec := testCodec(t)
	tests := []struct {
		name    string
		opts    redisstore.Options
		wantErr bool
	}{
		{"redis", redisstore.Options{URL: "redis://127.0.0.1:6379/0", Codec: codec}, false},
		{"rediss with password", redisstore.Options{URL: "rediss://u:pw@redis.example.com:6380/2", Codec: codec}, false},
		{"unix socket", redisstore.Options{URL: "unix:///run/redis.sock?db=1", Codec: codec}, false},
		{"sentinel", redisstore.Options{URL: "redis://s1:26379/0?master_name=mymaster&addr=s2:26379", Codec: codec}, false},
		{"no codec", redisstore.Options{URL: "redis://127.0.0.1:6379/0"}, true},
		{"wrong scheme", redisstore.Options{URL: "http://u:hunter2@127.0.0.1:6379", Codec: codec}, true},
		{"bad db", redisstore.Options{URL: "redis://u:hunter2@127.0.0.1:6379/x", Codec: codec}, true},
		{"unparsable", redisstore.Options{URL: "redis://u:hunter2@[::1", Codec: codec}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := redisstore.New(tt.opts)
			if s != nil {
				s.Close()
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: got error %v, want error %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("New error %q reveals the password", err)
			}
		})
	}
}

func TestSaveRefusesBadSessions(t *testing.T) {
	r := testenv.StartRedis(t)
	s := newStore(t, r.URL(), redisstore.Options{})
	tests := []struct {
		name   string
		change func(*session.Session)
	}{
		{"expired", func(s *session.Session) { s.ExpiresAt = time.Now().Add(-time.Second) }},
		{"no ID", func(s *session.Session) { s.ID = "" }},
		{"ID too long", func(s *session.Session) { s.ID = strings.Repeat("x", 257) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := storetest.Sample()
			tt.change(sess)
			rec := httptest.NewRecorder()
			err := s.Save(rec, requestWith(nil), sess)
			if err == nil || errors.Is(err, redisstore.ErrUnavailable) {
				t.Errorf("Save = %v, want a refusal", err)
			}
			if n := len(rec.Result().Cookies()); n != 0 {
				t.Errorf("refused Save set %d cookies, want 0", n)
			}
		})
	}
}

// BenchmarkRedisLoad measures Load against a local redis-server, to compare with
// session's BenchmarkCookieLoad (same session shapes).
func BenchmarkRedisLoad(b *testing.B) {
	r := testenv.StartRedis(b)
	s := newStore(b, r.URL(), redisstore.Options{Secure: true})
	for _, tt := range []struct {
		name   string
		groups int
	}{{"single", 5}, {"200groups", 200}} {
		sess := storetest.Sample()
		sess.ID = "sess-bench-" + tt.name
		sess.Identity.Groups = storetest.ManyGroups(tt.groups)
		req := requestWith(saveNew(b, s, sess))
		req.AddCookie(&http.Cookie{Name: "_ga", Value: "GA1.2.123456789.1700000000"})
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Load(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
