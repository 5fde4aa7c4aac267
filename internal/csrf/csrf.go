// Package csrf protects the gateway's own forms (break-glass sign-in and settings)
// against cross-site request forgery with two independent checks: the standard
// library's http.CrossOriginProtection (Sec-Fetch-Site, else Origin against Host) and
// a double-submit token, a random value kept in an HttpOnly, SameSite=Strict cookie
// that the form must echo in its csrf_token field.
package csrf

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
)

// FieldName is the hidden form field that carries the token.
const FieldName = "csrf_token"

// Cookie names: the __Host- prefix makes browsers refuse the cookie unless it is
// Secure, host-only and for Path=/, so a sibling subdomain cannot plant one.
const (
	cookieNameSecure   = "__Host-ssogate_csrf"
	cookieNameInsecure = "ssogate_csrf"
)

// tokenBytes is the token's entropy; it is encoded as unpadded base64url.
const tokenBytes = 32

// maxFormBytes bounds the body the middleware lets Check parse.
const maxFormBytes = 64 << 10

// Reasons a request is refused. Check wraps one of them.
var (
	ErrCrossOrigin  = errors.New("csrf: cross-origin request")
	ErrMissingToken = errors.New("csrf: form token missing")
	ErrBadToken     = errors.New("csrf: form token does not match")
)

// Protector issues and checks form tokens. It is immutable after New and safe for
// concurrent use.
type Protector struct {
	origins    *http.CrossOriginProtection
	secure     bool
	cookieName string
}

// New returns a Protector. secure marks the cookie Secure and gives it the __Host-
// prefix; set it when users reach the gateway over HTTPS.
func New(secure bool) *Protector {
	p := &Protector{origins: http.NewCrossOriginProtection(), secure: secure, cookieName: cookieNameInsecure}
	if secure {
		p.cookieName = cookieNameSecure
	}
	return p
}

// CookieName is the name of the token cookie.
func (p *Protector) CookieName() string { return p.cookieName }

// Token returns the token to put in the form's csrf_token field: the one in the
// request's cookie when it is well-formed, else a new one, set as a cookie on w.
// Call it before the response is written.
func (p *Protector) Token(w http.ResponseWriter, r *http.Request) string {
	if tok, ok := p.cookieToken(r); ok {
		return tok
	}
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name:     p.cookieName,
		Value:    tok,
		Path:     "/",
		Secure:   p.secure,
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	return tok
}

// Check reports whether r may change state. Safe methods (GET, HEAD, OPTIONS) always
// pass. Any other request must come from the gateway's own origin, as the browser's
// Sec-Fetch-Site or Origin header says, and its csrf_token form field must equal the
// cookie's token. Check parses r's form; bound the body first (Handler does).
func (p *Protector) Check(r *http.Request) error {
	if isSafe(r.Method) {
		return nil
	}
	if err := p.origins.Check(r); err != nil {
		return fmt.Errorf("%w: %v", ErrCrossOrigin, err)
	}
	want, ok := p.cookieToken(r)
	if !ok {
		return fmt.Errorf("%w: no valid %s cookie", ErrMissingToken, p.cookieName)
	}
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: reading the form: %w", ErrMissingToken, err)
	}
	got := r.PostForm.Get(FieldName)
	if got == "" {
		return fmt.Errorf("%w: no %s field", ErrMissingToken, FieldName)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return ErrBadToken
	}
	return nil
}

// Handler refuses, with a plain-text 403, every request to next that fails Check.
// Request bodies are limited to 64 KiB.
func (p *Protector) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isSafe(r.Method) {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		if err := p.Check(r); err != nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "403 Forbidden: this form expired or was sent from another site; reload the page and try again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cookieToken returns the request's token cookie when it looks like one we issued.
func (p *Protector) cookieToken(r *http.Request) (string, bool) {
	c, err := r.Cookie(p.cookieName)
	if err != nil {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) != tokenBytes {
		return "", false
	}
	return c.Value, true
}

// isSafe reports whether method is one that must not change state.
func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}
