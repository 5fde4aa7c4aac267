package proxy

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// formLimit is the form_post body limit oidcflow.ParseCallback applies.
const formLimit = 64 << 10

// signInReasons is the documented set of sign-in failure reasons (docs/metrics.md):
// the only values a reason label may take.
var signInReasons = []string{
	"nonce", "state_expired", "state_mismatch", "replayed", "token_endpoint", "idp_unreachable",
	"bad_response", "settings_changed", "busy", "groups_unavailable", "other",
	"signature", "expired", "issuer", "audience", "typ", "claims", "iat", "at_hash", "c_hash",
	"unknown_key", "jwks_unavailable", "malformed", "algorithm", "not_yet_valid", "events", "jti",
	"sub_sid", "tenant", "revoked", "idp_other", "idp_access_denied", "idp_invalid_request",
	"idp_unauthorized_client", "idp_unsupported_response_type", "idp_invalid_scope", "idp_server_error",
	"idp_temporarily_unavailable", "idp_interaction_required", "idp_login_required",
	"idp_account_selection_required", "idp_consent_required", "idp_invalid_request_uri",
	"idp_invalid_request_object", "idp_request_not_supported", "idp_request_uri_not_supported",
	"idp_registration_not_supported", "idp_invalid_grant", "idp_invalid_client", "idp_unsupported_grant_type",
}

// tokenReasons are the reasons of a verified token's failures (docs/metrics.md).
var tokenReasons = []string{"signature", "expired", "issuer", "audience", "nonce", "typ", "claims", "iat",
	"at_hash", "c_hash", "unknown_key", "jwks_unavailable", "malformed", "algorithm", "not_yet_valid"}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// filler is an endless body of 'a's.
type filler struct{}

func (filler) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// FuzzFormPostCallback posts arbitrary bodies with arbitrary content types, up to
// 1 MiB more than the fuzzer's own input, to /oidc/callback, with and without the
// browser's login cookie; "{state}" in a body is that login's real state, which is
// also in the query. Every answer is a 4xx with one audit line whose reason is a
// documented one, never a session and never an upstream request; no more than the
// limit is read, and a form over it is a 413; the query's state never stands in for
// the body's.
func FuzzFormPostCallback(f *testing.F) {
	var reasons []string
	fx := newFixture(f, fixtureOptions{quiet: true, jwksMinRefresh: time.Hour, hooks: Hooks{SignIn: func(_, reason string) { reasons = append(reasons, reason) }}})
	b := fx.browser()
	authURL, err := url.Parse(b.startLogin("/oidc/login?rd=%2Fapp"))
	if err != nil {
		f.Fatal(err)
	}
	state := authURL.Query().Get("state")
	loginCookie, n := b.loginCookies()
	if state == "" || n != 1 {
		f.Fatalf("login: state %q and %d login cookies, want a state and one cookie", state, n)
	}
	hits := fx.hits.Load()

	f.Fuzz(func(t *testing.T, contentType string, body []byte, pad uint32, withCookie bool) {
		body = bytes.ReplaceAll(body, []byte("{state}"), []byte(state))
		padding := int64(pad % (1 << 20))
		src := &countingReader{r: io.MultiReader(bytes.NewReader(body), io.LimitReader(filler{}, padding))}
		req := httptest.NewRequest(http.MethodPost, "/oidc/callback?state="+state+"&id_token=from-the-query", src)
		req.ContentLength = int64(len(body)) + padding
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", acceptHTML)
		if withCookie {
			req.Header.Set("Cookie", loginCookie)
		}
		reasons = reasons[:0]
		fx.logs.reset()
		rec := httptest.NewRecorder()
		fx.gw.ServeHTTP(rec, req)

		if rec.Code < 400 || rec.Code > 499 {
			t.Fatalf("got %d, want a 4xx; body %q", rec.Code, rec.Body.String())
		}
		if src.n > formLimit+1 {
			t.Fatalf("read %d bytes of the body, more than the %d-byte limit", src.n, formLimit)
		}
		mediaType, _, ctErr := mime.ParseMediaType(contentType)
		if total := int64(len(body)) + padding; mediaType == "application/x-www-form-urlencoded" && total > formLimit && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("a %d-byte form got %d, want 413", total, rec.Code)
		}
		if len(reasons) != 1 || !slices.Contains(signInReasons, reasons[0]) {
			t.Fatalf("sign-in failure reasons %q, want one from the documented set", reasons)
		}
		if lines := fx.logs.records(t, "sign-in failed"); len(lines) != 1 || lines[0]["audit"] != true {
			t.Fatalf("got %d sign-in failed lines, want one audit line", len(lines))
		}
		// The query's state and token are never read for a POST: without the state in
		// a readable body, the login cannot be found.
		readable := ctErr == nil && rec.Code != http.StatusRequestEntityTooLarge
		if mediaType == "application/x-www-form-urlencoded" && readable {
			_, err := url.ParseQuery(string(body) + strings.Repeat("a", int(padding)))
			readable = err == nil
		}
		if readable && !bytes.Contains(body, []byte("state")) && !bytes.ContainsAny(body, "%+") && reasons[0] != "state_mismatch" {
			t.Fatalf("a body without a state failed for %q, want state_mismatch", reasons[0])
		}
		// Nor is the query's ID token: without one in a readable body, no token was
		// verified.
		if readable && !bytes.Contains(body, []byte("id_token")) && !bytes.ContainsAny(body, "%+") && slices.Contains(tokenReasons, reasons[0]) {
			t.Fatalf("a body without an ID token failed for the token reason %q", reasons[0])
		}
		for _, c := range rec.Result().Cookies() {
			if c.Name == fx.store.CookieName() && c.MaxAge >= 0 {
				t.Fatalf("a refused callback set a session cookie")
			}
		}
		if got := fx.hits.Load(); got != hits {
			t.Fatalf("the upstream got %d requests from refused callbacks", got-hits)
		}
		if rid := rec.Header().Get("X-Request-Id"); rid == "" || !strings.Contains(rec.Body.String(), rid) {
			t.Fatalf("the error page does not show the request ID %q", rid)
		}
	})
}

// reset forgets the lines written so far.
func (l *logBuffer) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Reset()
}
