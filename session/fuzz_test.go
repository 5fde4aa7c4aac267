package session

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fuzzSessions are the sessions FuzzCookieLoad seals: one that fits a cookie and
// one split across three chunk cookies, both with an ID token for the logout hint.
// The corpus in testdata/fuzz/FuzzCookieLoad holds their cookies as this store
// sealed them (testSecret(1)), so a mutation of a real value is tried from the start.
func fuzzSessions() []*Session {
	small, chunked := testSession(2), testSession(130)
	small.ID, chunked.ID = "fuzz-small", "fuzz-chunked"
	return []*Session{small, chunked}
}

// cookieHeader is the Cookie header a browser sends to /logout after rec's
// Set-Cookie headers, in their order.
func cookieHeader(rec *httptest.ResponseRecorder) string {
	var parts []string
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge >= 0 {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	return strings.Join(parts, "; ")
}

// FuzzCookieLoad: whatever Cookie header arrives, Load never panics, returns
// exactly one of a session and an error wrapping ErrNoSession, and returns only a
// session this store sealed, unchanged: a forged, tampered, truncated, re-chunked
// value, one sealed with another secret or for another purpose, is refused.
func FuzzCookieLoad(f *testing.F) {
	store := newTestStore(f, false)
	sealed := map[string]*Session{}
	for _, s := range fuzzSessions() {
		sealed[s.ID] = s
		rec, _ := saveTo(f, store, nil, s)
		f.Add(cookieHeader(rec))
	}
	// Sealed, but not by this store as a session: neither may open.
	foreign := testSession(1)
	foreign.ID = "foreign-secret"
	rec, _ := saveTo(f, NewCookieStore(CookieOptions{Codec: newTestCodec(f, 2), Now: fixedClock(t0)}), nil, foreign)
	f.Add(cookieHeader(rec))
	other := testSession(1)
	other.ID = "other-purpose"
	plain, err := json.Marshal(other)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(store.CookieName() + "=" + store.codec.Seal(PurposeLoginState, plain))

	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, LogoutHintPath, nil)
		r.Header.Set("Cookie", header)
		got, err := store.Load(r)
		if (got == nil) == (err == nil) {
			t.Fatalf("Load(%q) = %v, %v; want exactly one of a session and an error", header, got, err)
		}
		if err != nil {
			if !errors.Is(err, ErrNoSession) {
				t.Fatalf("Load(%q): error %v does not wrap ErrNoSession", header, err)
			}
			return
		}
		want, ok := sealed[got.ID]
		if !ok {
			t.Fatalf("Load(%q) accepted session %q, which this store never sealed", header, got.ID)
		}
		if !reflect.DeepEqual(got.Identity, want.Identity) || !got.ExpiresAt.Equal(want.ExpiresAt) || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("Load(%q) = %+v, want the sealed %+v", header, got, want)
		}
		if got.IDToken != "" && got.IDToken != want.IDToken {
			t.Fatalf("Load(%q): ID token %q is not the one sealed for %s", header, got.IDToken, got.ID)
		}
		if got.RefreshToken != "" {
			t.Fatalf("Load(%q) returned a refresh token from a cookie", header)
		}
	})
}

// TestFuzzSessionsSpanChunks keeps FuzzCookieLoad's seeds what they claim to be.
func TestFuzzSessionsSpanChunks(t *testing.T) {
	store := newTestStore(t, false)
	var counts []int
	for _, s := range fuzzSessions() {
		rec, _ := saveTo(t, store, nil, s)
		n := 0
		for _, c := range rec.Result().Cookies() {
			if strings.HasPrefix(c.Name, store.CookieName()) && c.Path == "/" {
				n++
			}
		}
		counts = append(counts, n)
	}
	if want := []int{1, 3}; !slices.Equal(counts, want) {
		t.Fatalf("session cookies per fuzz session: got %v, want %v", counts, want)
	}
}
