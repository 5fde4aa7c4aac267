package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLogoutHint(t *testing.T) {
	s := newTestStore(t, true)
	sess := testSession(2)
	rec, jar := saveTo(t, s, nil, sess)
	var hint *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "__Secure-ssogate-logout" {
			hint = c
		}
	}
	if hint == nil {
		t.Fatal("Save with an ID token set no __Secure-ssogate-logout cookie")
	}
	if hint.Path != "/logout" || !hint.Secure || !hint.HttpOnly || hint.SameSite != http.SameSiteLaxMode || hint.MaxAge != 3600 {
		t.Errorf("logout hint: Path %q, Secure %v, HttpOnly %v, SameSite %v, Max-Age %d; want /logout, true, true, Lax, 3600",
			hint.Path, hint.Secure, hint.HttpOnly, hint.SameSite, hint.MaxAge)
	}
	if strings.Contains(hint.Value, "id-token-payload") {
		t.Error("the logout hint holds the ID token in the clear")
	}
	if got, err := s.Load(requestWith(jar)); err != nil || got.IDToken != "" {
		t.Errorf("Load without the hint cookie = IDToken %q, %v; want none", got.IDToken, err)
	}

	atLogout := func(value string) *http.Request {
		r := requestWith(jar)
		r.URL.Path = "/logout"
		r.AddCookie(&http.Cookie{Name: hint.Name, Value: value})
		return r
	}
	got, err := s.Load(atLogout(hint.Value))
	if err != nil || got.IDToken != sess.IDToken {
		t.Fatalf("Load at /logout = IDToken %q, %v; want the saved ID token", got.IDToken, err)
	}

	other := testSession(2)
	other.ID = "sess-other"
	otherRec, _ := saveTo(t, s, nil, other)
	for _, c := range otherRec.Result().Cookies() {
		if c.Name == hint.Name {
			if got, err := s.Load(atLogout(c.Value)); err != nil || got.IDToken != "" {
				t.Errorf("Load with another session's hint = IDToken %q, %v; want none", got.IDToken, err)
			}
		}
	}
	tampered := hint.Value[:len(hint.Value)/2] + "A" + hint.Value[len(hint.Value)/2+1:]
	if tampered == hint.Value {
		tampered = hint.Value[:len(hint.Value)/2] + "B" + hint.Value[len(hint.Value)/2+1:]
	}
	if got, err := s.Load(atLogout(tampered)); err != nil || got.IDToken != "" {
		t.Errorf("Load with a tampered hint = IDToken %q, %v; want the session without a hint", got.IDToken, err)
	}

	del := httptest.NewRecorder()
	if err := s.Delete(del, atLogout(hint.Value)); err != nil {
		t.Fatal(err)
	}
	expired := false
	for _, c := range del.Result().Cookies() {
		if c.Name == hint.Name && c.Path == "/logout" && c.MaxAge < 0 {
			expired = true
		}
	}
	if !expired {
		t.Errorf("Delete at /logout did not expire the hint cookie: %v", del.Header()["Set-Cookie"])
	}
}

func TestLogoutHintTooLarge(t *testing.T) {
	s := newTestStore(t, false)
	sess := testSession(2)
	sess.IDToken = strings.Repeat("x", 3500)
	rec, _ := saveTo(t, s, nil, sess)
	for _, c := range rec.Result().Cookies() {
		if c.Path == LogoutHintPath {
			t.Errorf("an ID token too large for one cookie was kept as %s (%d bytes)", c.Name, len(c.Value))
		}
	}
}
