package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
)

// TestFrontChannelFloodOfUnknownSIDsCannotTurnLogoutOff: anyone can call
// /logout?sid=…; 100,000 made-up sids are each a no-op 200 that leaves no entry in
// the revocation list (memory or Redis), and a real front-channel logout afterwards
// still ends the session.
func TestFrontChannelFloodOfUnknownSIDsCannotTurnLogoutOff(t *testing.T) {
	const flood = 100_000
	cases := []struct {
		name    string
		revoker func(t *testing.T) (session.Revoker, func() int64) // and how many entries it holds
	}{
		{"memory", func(t *testing.T) (session.Revoker, func() int64) {
			rv := session.NewMemoryRevoker(nil, 0)
			return rv, func() int64 { return int64(rv.Len()) }
		}},
		{"redis", func(t *testing.T) (session.Revoker, func() int64) {
			r := testenv.StartRedis(t)
			rv, err := redisstore.NewRevoker(redisstore.RevokerOptions{URL: r.URL()})
			if err != nil {
				t.Fatalf("NewRevoker: %v", err)
			}
			t.Cleanup(func() { rv.Close() })
			admin := redis.NewClient(&redis.Options{Addr: r.Addr()})
			t.Cleanup(func() { admin.Close() })
			return rv, func() int64 {
				n, err := admin.DBSize(context.Background()).Result()
				if err != nil {
					t.Fatalf("DBSIZE: %v", err)
				}
				return n
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rv, entries := c.revoker(t)
			f := newFixture(t, fixtureOptions{revoker: rv, quiet: true})
			b := f.browser()
			b.signIn("/app")
			resp, body := b.api("/oidc/userinfo")
			var info struct{ SID string }
			_ = json.Unmarshal([]byte(body), &info)
			sid := info.SID
			if resp.StatusCode != http.StatusOK || sid == "" {
				t.Fatalf("userinfo: %d %s; want 200 with a sid", resp.StatusCode, body)
			}
			before := entries()

			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan string, 1)
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < flood; i += 8 {
						b := make([]byte, 16)
						_, _ = rand.Read(b)
						q := url.Values{"sid": {hex.EncodeToString(b)}, "iss": {f.idp.Issuer()}}
						rec := httptest.NewRecorder()
						f.gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/logout?"+q.Encode(), nil))
						if rec.Code != http.StatusOK {
							select {
							case errs <- rec.Result().Status + " " + rec.Body.String():
							default:
							}
							return
						}
					}
				}()
			}
			wg.Wait()
			select {
			case e := <-errs:
				t.Fatalf("front-channel logout of an unknown sid: %s, want 200", e)
			default:
			}
			t.Logf("%d unknown sids in %s", flood, time.Since(start).Round(time.Millisecond))
			if after := entries(); after != before {
				t.Fatalf("revocation store entries: %d after the flood, want %d as before", after, before)
			}

			if resp, body := b.api("/app"); resp.StatusCode != http.StatusOK {
				t.Fatalf("before the real logout: GET /app %d %s, want 200", resp.StatusCode, body)
			}
			rec := httptest.NewRecorder()
			f.gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/logout?"+url.Values{"sid": {sid}, "iss": {f.idp.Issuer()}}.Encode(), nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("real front-channel logout: %d %s, want 200", rec.Code, rec.Body)
			}
			if resp, body := b.api("/app"); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("after the real logout: GET /app %d %s, want 401", resp.StatusCode, body)
			}
		})
	}
}

func TestFrontChannelLogoutChecksIssuer(t *testing.T) {
	f := newFixture(t, fixtureOptions{revoker: session.NewMemoryRevoker(nil, 0)})
	cases := []struct {
		name   string
		q      url.Values
		status int
	}{
		{"wrong iss", url.Values{"sid": {"s1"}, "iss": {"https://idp.invalid"}}, http.StatusBadRequest},
		{"right iss, unknown sid", url.Values{"sid": {"s1"}, "iss": {f.idp.Issuer()}}, http.StatusOK},
		// The test IdP's discovery does not promise iss with every sid.
		{"no iss", url.Values{"sid": {"s1"}}, http.StatusOK},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		f.gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/logout?"+c.q.Encode(), nil))
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.status)
		}
	}
}
