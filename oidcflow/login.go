package oidcflow

import (
	"crypto/subtle"
	"encoding/base64"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// LoginState is what the gateway remembers about one login it started, bound to the
// browser that started it (the caller seals it in a cookie). Field names are short
// because it travels in a cookie.
type LoginState struct {
	State       string    `json:"s"`
	Nonce       string    `json:"n"`
	Verifier    string    `json:"v,omitempty"` // PKCE code verifier
	ReturnTo    string    `json:"r"`
	Method      string    `json:"m"`
	Issuer      string    `json:"i"`
	ClientID    string    `json:"c"`
	RedirectURI string    `json:"u"`
	Expires     time.Time `json:"e"`
}

// Start begins a login that returns to returnTo, with the IdP sending the browser back
// to redirectURI. It returns the state to remember and the IdP URL to send the browser to.
func (f *Flow) Start(returnTo, redirectURI string) (LoginState, string) {
	ls := LoginState{
		State:       randomString(24),
		Nonce:       randomString(24),
		ReturnTo:    returnTo,
		Method:      f.opts.Method,
		Issuer:      f.opts.Issuer,
		ClientID:    f.opts.ClientID,
		RedirectURI: redirectURI,
		Expires:     f.opts.Now().Add(f.opts.LoginTTL),
	}
	cfg := f.oauth
	cfg.RedirectURL = redirectURI
	opts := []oauth2.AuthCodeOption{oidc.Nonce(ls.Nonce)}
	switch f.opts.Method {
	case MethodPKCE:
		ls.Verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(ls.Verifier))
	default: // implicit with form_post: the ID token comes back in a cross-site POST
		opts = append(opts,
			oauth2.SetAuthURLParam("response_type", "id_token"),
			oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	return ls, cfg.AuthCodeURL(ls.State, opts...)
}

// checkState verifies that a callback belongs to this login and this Flow.
func (f *Flow) checkState(ls LoginState, state string) error {
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(ls.State)) != 1 {
		return ErrStateMismatch
	}
	if !f.opts.Now().Before(ls.Expires) {
		return ErrStateExpired
	}
	if ls.Issuer != f.opts.Issuer || ls.ClientID != f.opts.ClientID || ls.Method != f.opts.Method {
		return ErrSettingsMoved
	}
	return nil
}

func base64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
