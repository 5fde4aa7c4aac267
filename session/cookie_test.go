package session

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		name     string
		opts     CookieOptions
		groups   int
		wantName string
	}{
		{"http default", CookieOptions{}, 2, "ssogate"},
		{"https default", CookieOptions{Secure: true}, 2, "__Host-ssogate"},
		{"https custom", CookieOptions{Secure: true, Name: "wandb_sso"}, 2, "__Host-wandb_sso"},
		{"https prefixed name", CookieOptions{Secure: true, Name: "__Host-gw"}, 2, "__Host-gw"},
		{"http drops prefix", CookieOptions{Name: "__Host-gw"}, 2, "gw"},
		{"https chunked", CookieOptions{Secure: true}, 200, "__Host-ssogate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Codec, tt.opts.Now = newTestCodec(t, 1), fixedClock(t0)
			s := NewCookieStore(tt.opts)
			if got := s.CookieName(); got != tt.wantName {
				t.Errorf("CookieName() = %q, want %q", got, tt.wantName)
			}
			rec, _ := saveTo(t, s, nil, testSession(tt.groups))
			cookies := rec.Result().Cookies()
			if len(cookies) == 0 {
				t.Fatal("Save set no cookie")
			}
			for _, c := range cookies {
				if c.Path == LogoutHintPath {
					continue // TestLogoutHint
				}
				if c.Name != tt.wantName && !strings.HasPrefix(c.Name, tt.wantName+"_") {
					t.Errorf("cookie name = %q, want %q or its chunks", c.Name, tt.wantName)
				}
				if !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode || c.Domain != "" {
					t.Errorf("cookie %s: HttpOnly %v, Path %q, SameSite %v, Domain %q; want true, /, Lax, none", c.Name, c.HttpOnly, c.Path, c.SameSite, c.Domain)
				}
				if c.Secure != tt.opts.Secure {
					t.Errorf("cookie %s: Secure = %v, want %v", c.Name, c.Secure, tt.opts.Secure)
				}
				if c.MaxAge != 3600 {
					t.Errorf("cookie %s: Max-Age = %d, want 3600 (until ExpiresAt)", c.Name, c.MaxAge)
				}
			}
		})
	}
}

func TestCookieChunking(t *testing.T) {
	s := newTestStore(t, true)
	want := testSession(200)
	rec, jar := saveTo(t, s, nil, want)

	var headers []string
	for _, h := range rec.Header()["Set-Cookie"] {
		if !strings.Contains(h, "Path="+LogoutHintPath+";") {
			headers = append(headers, h)
		}
	}
	if len(headers) < 2 {
		t.Fatalf("200 groups set %d cookies, want several chunks", len(headers))
	}
	for _, h := range headers {
		if len(h) >= 4096 {
			t.Errorf("Set-Cookie is %d bytes, want < 4096: %.80s…", len(h), h)
		}
	}
	wantNames := make([]string, len(headers))
	for i := range wantNames {
		wantNames[i] = "__Host-ssogate_" + strconv.Itoa(i)
	}
	if got := slices.Sorted(maps.Keys(jar)); !slices.Equal(got, slices.Sorted(slices.Values(wantNames))) {
		t.Errorf("cookie names = %v, want %v", got, wantNames)
	}
	if got, prefix := jar["__Host-ssogate_0"], strconv.Itoa(len(headers))+"."; !strings.HasPrefix(got, prefix) {
		t.Errorf("first chunk starts %.8q, want the count prefix %q", got, prefix)
	}

	got, err := s.Load(requestWith(jar))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !slices.Equal(got.Identity.Groups, want.Identity.Groups) {
		t.Errorf("loaded %d groups, want the %d saved", len(got.Identity.Groups), len(want.Identity.Groups))
	}
}

// TestCookieResizeExpiresStaleCookies saves a session of one size over another
// and checks the browser ends with exactly the new session's cookies.
func TestCookieResizeExpiresStaleCookies(t *testing.T) {
	tests := []struct {
		name          string
		before        int // groups
		after         int
		wantCookies   int
		wantUnchunked bool
	}{
		{"chunked to single", 200, 2, 1, true},
		{"single to chunked", 2, 200, 4, false},
		{"more chunks to fewer", 200, 100, 2, false},
		{"fewer chunks to more", 100, 200, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, false)
			_, jar := saveTo(t, s, nil, testSession(tt.before))
			next := testSession(tt.after)
			next.ID = "sess-2"
			_, jar = saveTo(t, s, jar, next)

			if len(jar) != tt.wantCookies {
				t.Errorf("browser holds %v, want %d cookies", slices.Sorted(maps.Keys(jar)), tt.wantCookies)
			}
			if _, ok := jar["ssogate"]; ok != tt.wantUnchunked {
				t.Errorf("unchunked cookie present = %v, want %v", ok, tt.wantUnchunked)
			}
			got, err := s.Load(requestWith(jar))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.ID != "sess-2" || len(got.Identity.Groups) != tt.after {
				t.Errorf("loaded %q with %d groups, want sess-2 with %d", got.ID, len(got.Identity.Groups), tt.after)
			}
		})
	}
}

func TestCookieDeleteExpiresAllChunks(t *testing.T) {
	s := newTestStore(t, true)
	_, jar := saveTo(t, s, nil, testSession(200))
	jar["unrelated"] = "keep"
	rec := httptest.NewRecorder()
	if err := s.Delete(rec, requestWith(jar)); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	expired := map[string]bool{}
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge >= 0 || !c.Secure || c.Path != "/" {
			t.Errorf("Delete set %s with Max-Age %d, Secure %v, Path %q; want an expiry a browser applies to a __Host- cookie", c.Name, c.MaxAge, c.Secure, c.Path)
		}
		expired[c.Name] = true
	}
	for name := range jar {
		if want := name != "unrelated"; expired[name] != want {
			t.Errorf("Delete expired %s = %v, want %v", name, expired[name], want)
		}
	}
	if !expired["__Host-ssogate"] {
		t.Errorf("Delete did not expire the unchunked cookie __Host-ssogate")
	}
}

func TestCookieSaveLifetime(t *testing.T) {
	tests := []struct {
		name       string
		maxAge     time.Duration
		expiresAt  time.Time
		wantMaxAge int
		wantExpiry time.Time
	}{
		{"until ExpiresAt", 720 * time.Hour, t0.Add(time.Hour), 3600, t0.Add(time.Hour)},
		{"capped by MaxAge", 720 * time.Hour, t0.Add(1000 * time.Hour), 720 * 3600, t0.Add(1000 * time.Hour)},
		{"zero ExpiresAt", 2 * time.Hour, time.Time{}, 7200, t0.Add(2 * time.Hour)},
		{"default MaxAge", 0, time.Time{}, 720 * 3600, t0.Add(720 * time.Hour)},
		{"rounds up", time.Hour, t0.Add(1500 * time.Millisecond), 2, t0.Add(1500 * time.Millisecond)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewCookieStore(CookieOptions{Codec: newTestCodec(t, 1), MaxAge: tt.maxAge, Now: fixedClock(t0)})
			sess := testSession(1)
			sess.ExpiresAt = tt.expiresAt
			rec, jar := saveTo(t, s, nil, sess)
			if got := rec.Result().Cookies()[0].MaxAge; got != tt.wantMaxAge {
				t.Errorf("Max-Age = %d, want %d", got, tt.wantMaxAge)
			}
			got, err := s.Load(requestWith(jar))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !got.ExpiresAt.Equal(tt.wantExpiry) {
				t.Errorf("loaded ExpiresAt = %s, want %s", got.ExpiresAt, tt.wantExpiry)
			}
		})
	}
}

func TestCookieSaveRefuses(t *testing.T) {
	expired := testSession(1)
	expired.ExpiresAt = t0
	tests := []struct {
		name    string
		sess    *Session
		wantSub string
	}{
		{"expired", expired, "expired"},
		{"too large", testSession(5000), "SESSION_STORE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := newTestStore(t, false).Save(rec, requestWith(nil), tt.sess)
			if err == nil || !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("Save error = %v, want one mentioning %q", err, tt.wantSub)
			}
			if got := rec.Header()["Set-Cookie"]; len(got) != 0 {
				t.Errorf("refused Save set cookies %v, want none", got)
			}
		})
	}
}

// TestCookieNeverHoldsTokens checks that raw tokens are neither in the cookie
// text nor in its decrypted content, and that the caller's session is untouched.
func TestCookieNeverHoldsTokens(t *testing.T) {
	s := newTestStore(t, false)
	sess := testSession(3)
	rec, jar := saveTo(t, s, nil, sess)
	if sess.IDToken == "" || sess.RefreshToken == "" {
		t.Errorf("Save cleared the caller's tokens, want its session unchanged")
	}
	plain, err := s.codec.Open(PurposeSession, jar["ssogate"])
	if err != nil {
		t.Fatalf("open cookie: %v", err)
	}
	all := strings.Join(rec.Header()["Set-Cookie"], "\n") + string(plain)
	for _, tok := range []string{sess.IDToken, sess.RefreshToken, "id_token", "refresh_token"} {
		if strings.Contains(all, tok) {
			t.Errorf("cookie holds %q, want no raw tokens", tok)
		}
	}
	if !strings.Contains(string(plain), sess.Identity.Email) {
		t.Errorf("decrypted cookie %s lacks the identity", plain)
	}
}
