package session

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The cookie store never keeps raw tokens in the session cookie, yet RP-initiated
// logout needs the ID token as id_token_hint (Okta and Ory Hydra refuse a logout
// without it). So the ID token alone is sealed into a second cookie scoped to
// Path=/logout: browsers send it with no other request, so it costs nothing on the
// hot path. It is bound to the session's ID, so it only ever serves as the hint for
// the session it was issued with.

// LogoutHintPath is the only path the logout-hint cookie is sent to.
const LogoutHintPath = "/logout"

// maxLogoutHintBytes bounds the logout-hint cookie's name and value. An ID token too
// large for one cookie is not kept: logout then names the client instead.
const maxLogoutHintBytes = 4000

// logoutHint is the logout-hint cookie's sealed content.
type logoutHint struct {
	SessionID string `json:"s"`
	IDToken   string `json:"t"`
}

// logoutHintName returns the name of the logout-hint cookie that goes with a
// session cookie called name. "__Host-" requires Path=/, so a secure hint
// cookie takes the "__Secure-" prefix instead.
func logoutHintName(name string, secure bool) string {
	base := strings.TrimPrefix(name, hostPrefix) + "-logout"
	if secure {
		return "__Secure-" + base
	}
	return base
}

// logoutHintCookie builds the logout-hint cookie.
func (s *CookieStore) logoutHintCookie(value string, maxAge int) *http.Cookie {
	c := NewCookie(s.hintName, value, maxAge, s.secure)
	c.Path = LogoutHintPath
	return c
}

// sealLogoutHint returns the cookie keeping sess's ID token for logout, or nil when
// there is none or it is too large for a cookie.
func (s *CookieStore) sealLogoutHint(sess *Session, maxAge int) *http.Cookie {
	if sess.IDToken == "" {
		return nil
	}
	plain, err := json.Marshal(logoutHint{SessionID: sess.ID, IDToken: sess.IDToken})
	if err != nil {
		return nil
	}
	value := s.codec.Seal(PurposeLogoutHint, plain)
	if len(s.hintName)+len(value) > maxLogoutHintBytes {
		return nil
	}
	return s.logoutHintCookie(value, maxAge)
}

// openLogoutHint returns the ID token the request's logout-hint cookie keeps for
// the session sessionID, or "" when it carries none for that session.
func (s *CookieStore) openLogoutHint(h http.Header, sessionID string) string {
	v, ok := cookieValue(h, s.hintName)
	if !ok {
		return ""
	}
	plain, err := s.codec.Open(PurposeLogoutHint, v)
	if err != nil {
		return ""
	}
	var hint logoutHint
	if json.Unmarshal(plain, &hint) != nil || hint.SessionID != sessionID {
		return ""
	}
	return hint.IDToken
}
