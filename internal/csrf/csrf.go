// Package csrf gives the gateway's own forms (break-glass sign-in, settings, sessions,
// logout confirmation) a double-submit token: a random value kept in an HttpOnly,
// SameSite=Strict cookie that the form must echo in its csrf_token field.
//
// The token is the second of two checks. The first, which refuses every cross-origin
// state-changing request to the gateway's routes, is the router's one
// http.CrossOriginProtection layer (package proxy); a handler using Protector must be
// mounted behind it.
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

// Reasons a request is refused. Check wraps one of them.
var (
	ErrMissingToken = errors.New("csrf: form token missing")
	ErrBadToken     = errors.New("csrf: form token does not match")
)

// Protector issues and checks form tokens. It is immutable after New and safe for
// concurrent use.
type Protector struct {
	secure     bool
	cookieName string
}

// New returns a Protector. secure marks the cookie Secure and gives it the __Host-
// prefix; set it when users reach the gateway over HTTPS.
func New(secure bool) *Protector {
	p := &Protector{secure: secure, cookieName: cookieNameInsecure}
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
// pass. Any other request's csrf_token form field must equal the cookie's token.
// Check parses r's form; bound the body first (http.MaxBytesReader).
func (p *Protector) Check(r *http.Request) error {
	if isSafe(r.Method) {
		return nil
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
