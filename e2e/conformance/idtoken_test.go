package conformance

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/internal/testidp"
)

// flows says in which login flows a row runs.
type flows int

const (
	code     flows = 1 << iota // OIDC_AUTH_METHOD=pkce: the ID token comes from the token endpoint
	formPost                   // OIDC_AUTH_METHOD=implicit: the browser form_posts the ID token
	both     = code | formPost
)

// signInRow is one relying-party test of a sign-in: the IdP misbehaves as idp says,
// the browser signs in, and the gateway must refuse the callback with reason (or,
// with reason "", sign the user in).
type signInRow struct {
	id     string // the OpenID RP certification test it models
	in     flows
	idp    misbehaviour
	reason string // the audit line's reason; "" means the sign-in succeeds
	// jwksFetches is how many times the gateway may fetch the IdP's JWKS for this
	// row: 0 except for an unknown kid, which costs exactly one rate-limited refresh.
	jwksFetches int64
	// rotateKey makes the IdP sign with a new key, which its JWKS lists from now on.
	rotateKey bool
	// check, when set, checks more of an accepted sign-in.
	check func(t *testing.T, s *suite, gw *testenv.Gateway, c *http.Client)
	// deliver sends the callback; nil means the browser that started the sign-in
	// sends it once.
	deliver func(t *testing.T, s *suite, gw *testenv.Gateway, c *http.Client, cb callback) (*http.Response, string, *http.Client)
}

// at returns a change that sets key to now+d, in Unix seconds, when the token is minted.
func at(key string, d time.Duration) func(map[string]any) {
	return func(c map[string]any) { c[key] = time.Now().Add(d).Unix() }
}

// leftHash is an at_hash or c_hash of v for RS256.
func leftHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func signInRows() []signInRow {
	return []signInRow{
		// A new signing key costs exactly one JWKS fetch, and the sign-in succeeds. (It
		// runs first: the other flow's gateway then meets the new key in its own row.)
		{id: "rp-key-rotation-op-sign-key", in: both, rotateKey: true, jwksFetches: 1},
		// Controls: an honest provider signs the user in, in each flow.
		{id: "rp-response_type-code", in: code},
		{id: "rp-response_mode-form_post", in: formPost},
		// The RP test allows either outcome when the signature verifies with one of the keys.
		{id: "rp-id_token-kid-absent-multiple-jwks", in: both, idp: misbehaviour{defect: testidp.DefectNoKID}},
		// Userinfo answering for another subject is ignored: the user signs in without
		// the groups it offered, and an audit line says why.
		{id: "rp-userinfo-bad-sub-claim", in: code, idp: misbehaviour{claims: testidp.SetClaims("groups", nil), userinfo: otherSubject},
			check: userinfoIgnored},

		{id: "rp-id_token-bad-sig-rs256", in: both, idp: misbehaviour{defect: testidp.DefectBadSignature}, reason: "signature"},
		{id: "rp-id_token-sig-none", in: both, idp: misbehaviour{defect: testidp.DefectAlgNone}, reason: "algorithm"},
		{id: "rp-id_token-bad-sig-hs256-public-key", in: both, idp: misbehaviour{defect: testidp.DefectHMACPublicKey}, reason: "algorithm"},
		{id: "rp-id_token-sig-alg-not-advertised", in: both, idp: misbehaviour{defect: testidp.DefectOtherAlg}, reason: "algorithm"},
		{id: "rp-id_token-kid-absent-foreign-key", in: both, idp: misbehaviour{defect: testidp.DefectForeignKey}, reason: "signature"},
		{id: "rp-id_token-kid-unknown", in: both, idp: misbehaviour{defect: testidp.DefectUnknownKID}, reason: "unknown_key", jwksFetches: 1},
		{id: "rp-id_token-issuer-mismatch", in: both, idp: misbehaviour{claims: testidp.SetClaims("iss", "https://attacker.example")}, reason: "issuer"},
		{id: "rp-id_token-aud", in: both, idp: misbehaviour{claims: testidp.SetClaims("aud", "another-client")}, reason: "audience"},
		{id: "rp-id_token-aud-multiple-no-azp", in: both, idp: misbehaviour{claims: audAndAZP("")}, reason: "audience"},
		{id: "rp-id_token-azp", in: both, idp: misbehaviour{claims: audAndAZP("another-client")}, reason: "audience"},
		{id: "rp-id_token-claim-types", in: both, idp: misbehaviour{claims: testidp.SetClaims("aud", 42, "exp", "tomorrow")}, reason: "claims"},
		{id: "rp-id_token-sub", in: both, idp: misbehaviour{claims: testidp.SetClaims("sub", nil)}, reason: "claims"},
		{id: "rp-id_token-iat", in: both, idp: misbehaviour{claims: testidp.SetClaims("iat", nil)}, reason: "iat"},
		{id: "rp-id_token-iat-future", in: both, idp: misbehaviour{claims: at("iat", time.Hour)}, reason: "iat"},
		{id: "rp-id_token-iat-stale", in: both, idp: misbehaviour{claims: at("iat", -time.Hour)}, reason: "iat"},
		{id: "rp-id_token-exp", in: both, idp: misbehaviour{claims: at("exp", -10*time.Minute)}, reason: "expired"},
		{id: "rp-id_token-exp-absent", in: both, idp: misbehaviour{claims: testidp.SetClaims("exp", nil)}, reason: "expired"},
		{id: "rp-id_token-nbf", in: both, idp: misbehaviour{claims: at("nbf", time.Hour)}, reason: "not_yet_valid"},
		{id: "rp-nonce-invalid", in: both, idp: misbehaviour{claims: testidp.SetClaims("nonce", "a-nonce-from-another-login")}, reason: "nonce"},
		{id: "rp-nonce-absent", in: both, idp: misbehaviour{claims: testidp.SetClaims("nonce", nil)}, reason: "nonce"},
		// The code flow's ID token binds the access token (at_hash) and, when present,
		// the code (c_hash); form_post asks for an ID token alone, which has neither.
		{id: "rp-id_token-bad-at_hash", in: code, idp: misbehaviour{claims: testidp.SetClaims("at_hash", leftHash("another access token"))}, reason: "at_hash"},
		{id: "rp-id_token-bad-c_hash", in: code, idp: misbehaviour{claims: testidp.SetClaims("c_hash", leftHash("another code"))}, reason: "c_hash"},

		// A token endpoint that answers without an ID token signs nobody in.
		{id: "rp-token_endpoint-no-id_token", in: code, idp: misbehaviour{tokens: testidp.SetClaims("id_token", nil)}, reason: "bad_response"},
		// The ID token comes only in the body of a form_post, never in a URL (where
		// browser history, Referer headers and logs keep it).
		{id: "rp-response_mode-form_post-id_token-in-query", in: formPost, reason: "bad_response", deliver: formPostAsQuery},
		{id: "rp-response_type-mismatch", in: formPost, reason: "bad_response", deliver: formPostWithCode},
		{id: "rp-state-mismatch", in: both, reason: "state_mismatch", deliver: tamperedState},
		{id: "rp-state-replay", in: both, idp: misbehaviour{replayCodes: true}, reason: "replayed", deliver: replayedCallback},
	}
}

// audAndAZP returns a change that adds a second audience and sets azp ("" removes it).
func audAndAZP(azp string) func(map[string]any) {
	return func(c map[string]any) {
		c["aud"] = []any{c["aud"], "another-client"}
		if azp == "" {
			delete(c, "azp")
		} else {
			c["azp"] = azp
		}
	}
}

// otherSubject makes a userinfo answer speak for another user, with a group of its own.
func otherSubject(c map[string]any) {
	c["sub"] = "sub-mallory"
	c["groups"] = []string{"injected-admins"}
}

// userinfoIgnored checks that the upstream got none of the groups a userinfo answer
// for another subject offered, and that the gateway's audit log says why.
func userinfoIgnored(t *testing.T, s *suite, gw *testenv.Gateway, c *http.Client) {
	t.Helper()
	if status, body := app(t, c, gw); status != http.StatusOK || strings.Contains(body, "injected-admins") {
		t.Errorf("GET /app: %d %q; want 200 without the groups of the other subject's userinfo", status, body)
	}
	rec := gw.WaitRecord(t, "group look-up failed", testenv.LogWait, func(r map[string]any) bool { return testenv.Str(r, "outcome") == "mismatch" })
	if rec["audit"] != true || testenv.Str(rec, "source") != "userinfo" {
		t.Errorf("audit line %v; want audit true and source userinfo", rec)
	}
}

// tamperedState delivers the callback with a state this browser never started.
func tamperedState(t *testing.T, _ *suite, _ *testenv.Gateway, c *http.Client, cb callback) (*http.Response, string, *http.Client) {
	resp, body := cb.withState(t, "forged-"+strings.Repeat("x", 22)).send(t, c, nil)
	return resp, body, c
}

// formPostAsQuery delivers the form_post's fields as the query of a GET.
func formPostAsQuery(t *testing.T, _ *suite, _ *testenv.Gateway, c *http.Client, cb callback) (*http.Response, string, *http.Client) {
	resp, body := callback{url: cb.url + "?" + cb.form.Encode()}.send(t, c, nil)
	return resp, body, c
}

// formPostWithCode delivers the form_post with a code besides the ID token, a
// response of another response type than the one asked for.
func formPostWithCode(t *testing.T, _ *suite, _ *testenv.Gateway, c *http.Client, cb callback) (*http.Response, string, *http.Client) {
	form := url.Values{"code": {"a-code-nobody-asked-for"}}
	for k, v := range cb.form {
		form[k] = v
	}
	resp, body := callback{url: cb.url, form: form}.send(t, c, nil)
	return resp, body, c
}

// replayedCallback delivers the callback once (the user signs in), then again from
// another browser that captured it with its login-state cookie; the IdP answers the
// code twice, so only the gateway's single-use state stands in the way.
func replayedCallback(t *testing.T, _ *suite, gw *testenv.Gateway, c *http.Client, cb callback) (*http.Response, string, *http.Client) {
	captured := loginCookie(t, c, gw)
	resp, body := cb.send(t, c, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the first callback: status %d, want 303; body %q\n--- gateway log ---\n%s", resp.StatusCode, body, gw.Logs())
	}
	thief := browser(t)
	resp, body = cb.send(t, thief, http.Header{"Cookie": {captured}})
	return resp, body, thief
}

func runSignInRows(t *testing.T, s *suite, gw *testenv.Gateway, flow flows) {
	for _, r := range signInRows() {
		if r.in&flow == 0 {
			continue
		}
		t.Run(r.id, func(t *testing.T) {
			s.idp.set(r.idp)
			defer s.idp.set(misbehaviour{})
			if r.rotateKey {
				if err := s.idp.RotateKey(); err != nil {
					t.Fatalf("rotate the IdP's key: %v", err)
				}
			}
			c := browser(t)
			cb := s.startSignIn(t, gw, c)
			hits, fetches := s.up.hits.Load(), s.idp.JWKSFetches()
			var resp *http.Response
			var body string
			if r.deliver == nil {
				resp, body = cb.send(t, c, nil)
			} else {
				resp, body, c = r.deliver(t, s, gw, c, cb)
				hits = s.up.hits.Load()
			}
			if got := s.idp.JWKSFetches() - fetches; got != r.jwksFetches {
				t.Errorf("the gateway fetched the IdP's JWKS %d times, want %d", got, r.jwksFetches)
			}
			if r.reason == "" {
				wantSignedIn(t, s, gw, c, resp, body)
				if r.check != nil {
					r.check(t, s, gw, c)
				}
				return
			}
			wantRefused(t, gw, c, resp, body, r.reason)
			if got := s.up.hits.Load(); got != hits {
				t.Errorf("the upstream got %d requests during a refused sign-in, want none", got-hits)
			}
		})
	}
}

// wantRefused checks a refused callback: a 4xx page with a request ID, the audit line
// of a failed sign-in with reason, and no session cookie.
func wantRefused(t *testing.T, gw *testenv.Gateway, c *http.Client, resp *http.Response, body, reason string) {
	t.Helper()
	if resp.StatusCode < 400 || resp.StatusCode > 499 {
		t.Errorf("status %d, want a 4xx; body %q", resp.StatusCode, body)
	}
	if sessionSet(resp, c, gw) {
		t.Errorf("a refused sign-in set a session cookie: %v", resp.Header.Values("Set-Cookie"))
	}
	wantAudit(t, gw, resp, "sign-in failed", reason)
}

// wantAudit checks the gateway logged an audit line msg with reason about the request
// resp answered (by its X-Request-Id).
func wantAudit(t *testing.T, gw *testenv.Gateway, resp *http.Response, msg, reason string) {
	t.Helper()
	rid := resp.Header.Get("X-Request-Id")
	if rid == "" {
		t.Fatalf("no X-Request-Id on the answer (status %d)", resp.StatusCode)
	}
	rec := gw.WaitRecord(t, msg, testenv.LogWait, func(r map[string]any) bool { return testenv.Str(r, "request_id") == rid })
	if rec["audit"] != true || testenv.Str(rec, "reason") != reason {
		t.Errorf("audit line %v; want audit true and reason %q", rec, reason)
	}
}

// wantSignedIn checks an accepted callback: 303 back to /app with a session that the
// upstream sees as the user.
func wantSignedIn(t *testing.T, s *suite, gw *testenv.Gateway, c *http.Client, resp *http.Response, body string) {
	t.Helper()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/app" {
		t.Fatalf("status %d to %q, want 303 to /app; body %q\n--- gateway log ---\n%s", resp.StatusCode, loc, body, gw.Logs())
	}
	hits := s.up.hits.Load()
	if status, body := app(t, c, gw); status != http.StatusOK || !strings.Contains(body, `"user":"`+user+`"`) {
		t.Errorf("GET /app after signing in: %d %q, want 200 from the upstream for %s", status, body, user)
	}
	if got := s.up.hits.Load() - hits; got != 1 {
		t.Errorf("the upstream got %d requests for GET /app, want 1", got)
	}
}

// TestRelyingPartyConformance runs every sign-in row against the gateway of each flow
// it applies to, then the back-channel logout rows against the code-flow gateway.
func TestRelyingPartyConformance(t *testing.T) {
	s := startSuite(t)
	t.Run("code", func(t *testing.T) { runSignInRows(t, s, s.code, code) })
	t.Run("form_post", func(t *testing.T) { runSignInRows(t, s, s.formPost, formPost) })
	t.Run("backchannel", func(t *testing.T) { runLogoutRows(t, s) })
}
