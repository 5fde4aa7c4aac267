package session

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCookieLoadRejects feeds Load every kind of bad cookie: each must give
// ErrNoSession naming its cause, a nil session, and no panic.
func TestCookieLoadRejects(t *testing.T) {
	s := newTestStore(t, false)
	_, single := saveTo(t, s, nil, testSession(2))
	_, chunked := saveTo(t, s, nil, testSession(200))
	foreign := NewCookieStore(CookieOptions{Codec: newTestCodec(t, 2), Now: fixedClock(t0)})
	_, foreignJar := saveTo(t, foreign, nil, testSession(2))
	n := len(chunked) // 200 long groups take 4 chunks
	if n != 4 {
		t.Fatalf("200 groups saved as %d chunks, the cases below expect 4", n)
	}
	validJSON := `{"id":"x","identity":{"sub":"u"},"expires_at":"2030-01-01T00:00:00Z"}`

	with := func(jar map[string]string, edit func(m map[string]string)) map[string]string {
		m := map[string]string{}
		for k, v := range jar {
			m[k] = v
		}
		edit(m)
		return m
	}
	flip := func(v string, i int) string {
		c := byte('A')
		if v[i] == c {
			c = 'B'
		}
		return v[:i] + string(c) + v[i+1:]
	}
	tests := []struct {
		name    string
		jar     map[string]string
		now     time.Time
		wantSub string
	}{
		{"absent", nil, t0, "no session cookie"},
		{"other cookies only", map[string]string{"ssogate_x": "1", "other": "v"}, t0, "no session cookie"},
		{"empty value", map[string]string{"ssogate": ""}, t0, "too short"},
		{"garbage base64", map[string]string{"ssogate": "%%%not*base64%%%" + strings.Repeat("!", 80)}, t0, "base64"},
		{"tampered byte", with(single, func(m map[string]string) { m["ssogate"] = flip(m["ssogate"], 40) }), t0, "authentication failed"},
		{"truncated", with(single, func(m map[string]string) { m["ssogate"] = m["ssogate"][:len(m["ssogate"])-8] }), t0, "sealed value is invalid"},
		{"other secret", foreignJar, t0, "authentication failed"},
		{"login-state sealed", map[string]string{"ssogate": s.codec.Seal(PurposeLoginState, []byte(validJSON))}, t0, "authentication failed"},
		{"sealed non-JSON", map[string]string{"ssogate": s.codec.Seal(PurposeSession, []byte("not json"))}, t0, "decode session"},
		{"expired", single, t0.Add(2 * time.Hour), "expired"},
		{"expires exactly now", single, t0.Add(time.Hour), "expired"},
		{"missing chunk", with(chunked, func(m map[string]string) { delete(m, "ssogate_2") }), t0, "ssogate_2 of 4 is missing"},
		{"missing first chunk", with(chunked, func(m map[string]string) { delete(m, "ssogate_0") }), t0, "no session cookie"},
		{"swapped chunks", with(chunked, func(m map[string]string) { m["ssogate_1"], m["ssogate_2"] = m["ssogate_2"], m["ssogate_1"] }), t0, "authentication failed"},
		{"tampered chunk", with(chunked, func(m map[string]string) { m["ssogate_3"] = flip(m["ssogate_3"], 100) }), t0, "authentication failed"},
		{"truncated last chunk", with(chunked, func(m map[string]string) { m["ssogate_3"] = m["ssogate_3"][:10] }), t0, "sealed value is invalid"},
		{"count too small", with(chunked, func(m map[string]string) { m["ssogate_0"] = "3" + m["ssogate_0"][1:] }), t0, "authentication failed"},
		{"count too large", with(chunked, func(m map[string]string) { m["ssogate_0"] = "12" + m["ssogate_0"][1:] }), t0, "ssogate_4 of 12 is missing"},
		{"count beyond limit", with(chunked, func(m map[string]string) { m["ssogate_0"] = "99" + m["ssogate_0"][1:] }), t0, "out of range"},
		{"count of one", with(chunked, func(m map[string]string) { m["ssogate_0"] = "1" + m["ssogate_0"][1:] }), t0, "out of range"},
		{"count leading zero", with(chunked, func(m map[string]string) { m["ssogate_0"] = "05" + m["ssogate_0"][1:] }), t0, "bad chunk count"},
		{"count not a number", with(chunked, func(m map[string]string) { m["ssogate_0"] = "x" + m["ssogate_0"][1:] }), t0, "bad chunk count"},
		{"no count", with(chunked, func(m map[string]string) { m["ssogate_0"] = m["ssogate_0"][2:] }), t0, "no chunk count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := NewCookieStore(CookieOptions{Codec: s.codec, Now: fixedClock(tt.now)})
			got, err := store.Load(requestWith(tt.jar))
			if !errors.Is(err, ErrNoSession) || got != nil {
				t.Fatalf("Load = %+v, %v; want nil, ErrNoSession", got, err)
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("Load error %q does not name the cause %q", err, tt.wantSub)
			}
			// A cookie that is there but does not open is refused; no cookie, or one
			// whose session has simply ended, is not.
			refused := tt.wantSub != "no session cookie" && tt.wantSub != "expired"
			if errors.Is(err, ErrCookieRefused) != refused {
				t.Errorf("Load error %q: errors.Is(ErrCookieRefused) = %v, want %v", err, !refused, refused)
			}
		})
	}
}

// TestCookieLoadReadsHeaderVariants checks the cookie scanner against forms the
// Cookie header takes on the wire.
func TestCookieLoadReadsHeaderVariants(t *testing.T) {
	s := newTestStore(t, false)
	_, jar := saveTo(t, s, nil, testSession(2))
	v := jar["ssogate"]
	tests := []struct {
		name    string
		headers []string
	}{
		{"alone", []string{"ssogate=" + v}},
		{"among others", []string{"a=1; ssogate=" + v + "; b=2"}},
		{"no spaces", []string{"a=1;ssogate=" + v + ";b=2"}},
		{"quoted", []string{`ssogate="` + v + `"`}},
		{"second header line", []string{"a=1", "ssogate=" + v}},
		{"similar names first", []string{"xssogate=1; ssogate_=2; ssogate=" + v}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := requestWith(nil)
			r.Header["Cookie"] = tt.headers
			if got, err := s.Load(r); err != nil || got.ID != "sess-1" {
				t.Errorf("Load = %+v, %v; want sess-1", got, err)
			}
		})
	}
}

// BenchmarkCookieLoad measures Load on the hot path of every proxied request.
func BenchmarkCookieLoad(b *testing.B) {
	s := newTestStore(b, true)
	for _, tt := range []struct {
		name   string
		groups int
	}{{"single", 5}, {"chunked200groups", 200}} {
		_, jar := saveTo(b, s, nil, testSession(tt.groups))
		r := requestWith(jar)
		r.AddCookie(&http.Cookie{Name: "_ga", Value: "GA1.2.123456789.1700000000"})
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Load(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
