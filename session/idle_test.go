package session

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestCookieIdleTimeout: with a 30-minute idle timeout, a cookie used within the
// timeout is re-issued with a new last-seen time at most once a minute and lives
// on; a copy of the old cookie idles out on its own, and so does the new one when
// it is not used.
func TestCookieIdleTimeout(t *testing.T) {
	clk := testenv.NewClock(t0)
	s := NewCookieStore(CookieOptions{Codec: newTestCodec(t, 1), Now: clk.Now, IdleTimeout: 30 * time.Minute})
	sess := testSession(2)
	sess.ExpiresAt = t0.Add(8 * time.Hour)
	_, jar := saveTo(t, s, nil, sess)

	touch := func(jar map[string]string) (map[string]string, bool) {
		t.Helper()
		got, err := s.Load(requestWith(jar))
		if err != nil {
			t.Fatalf("Load at %s: %v", clk.Now().Format(time.TimeOnly), err)
		}
		rec := httptest.NewRecorder()
		if err := s.Touch(rec, requestWith(jar), got); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		return applyCookies(jar, rec), len(rec.Result().Cookies()) > 0
	}

	clk.Advance(30 * time.Second)
	if _, reissued := touch(jar); reissued {
		t.Errorf("cookie re-issued 30s after sign-in, want at most once a minute")
	}
	clk.Advance(20 * time.Minute)
	fresh, reissued := touch(jar)
	if !reissued {
		t.Fatalf("cookie not re-issued 20m after sign-in")
	}
	got, err := s.Load(requestWith(fresh))
	if err != nil || got.ID != sess.ID || !got.CreatedAt.Equal(sess.CreatedAt) || !got.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Fatalf("re-issued cookie = %+v, %v; want the same session (ID, created, expiry)", got, err)
	}
	if got.Identity.Email != sess.Identity.Email || len(got.Identity.Groups) != 2 {
		t.Errorf("re-issued cookie's identity = %+v, want the signed-in one", got.Identity)
	}

	clk.Advance(15 * time.Minute) // 35m after the old cookie's last use, 15m after the new one's
	if _, err := s.Load(requestWith(jar)); !errors.Is(err, ErrNoSession) {
		t.Errorf("old cookie 35m after its last use: Load = %v, want ErrNoSession (idle)", err)
	}
	if _, err := s.Load(requestWith(fresh)); err != nil {
		t.Errorf("re-issued cookie 15m after its last use: %v", err)
	}
	clk.Advance(16 * time.Minute)
	if _, err := s.Load(requestWith(fresh)); !errors.Is(err, ErrNoSession) {
		t.Errorf("re-issued cookie 31m after its last use: Load = %v, want ErrNoSession (idle)", err)
	}
}

// TestCookieWithoutIdleTimeout: with the idle timeout off, Touch never re-issues.
func TestCookieWithoutIdleTimeout(t *testing.T) {
	clk := testenv.NewClock(t0)
	s := NewCookieStore(CookieOptions{Codec: newTestCodec(t, 1), Now: clk.Now})
	sess := testSession(2)
	_, jar := saveTo(t, s, nil, sess)
	clk.Advance(50 * time.Minute)
	got, err := s.Load(requestWith(jar))
	if err != nil {
		t.Fatalf("Load 50m after sign-in without idle timeout: %v", err)
	}
	rec := httptest.NewRecorder()
	if err := s.Touch(rec, requestWith(jar), got); err != nil || len(rec.Result().Cookies()) != 0 {
		t.Errorf("Touch without idle timeout = %v, set %d cookies; want nil, none", err, len(rec.Result().Cookies()))
	}
}
