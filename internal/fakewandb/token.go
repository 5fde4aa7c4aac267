package fakewandb

import (
	"fmt"
	"net/http"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// accessTokenIssuer is the iss (and aud) of the access tokens the fake mints.
const accessTokenIssuer = "fakewandb"

// jwtBearerGrant is RFC 7523's grant type, as the W&B SDK sends it.
const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// token serves POST /oidc/token: the SDK's identity federation. The form carries
// grant_type and assertion (a JWT of the trusted identity provider), no
// Authorization; the answer is an access token of the application's own.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.record(r, "", "")
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != jwtBearerGrant {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if s.opts.FederationKeys == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "identity federation is not configured"})
		return
	}
	assertion, err := jwt.Parse([]byte(r.PostForm.Get("assertion")), jwt.WithKeySet(s.opts.FederationKeys),
		jwt.WithValidate(true), jwt.WithIssuer(s.opts.FederationIssuer), jwt.WithAcceptableSkew(time.Minute))
	if err != nil || assertion.Subject() == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": fmt.Sprint(err)})
		return
	}
	access, err := s.mint(assertion.Subject())
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer",
		"expires_in": int(s.opts.AccessTokenTTL.Seconds())})
}

// mint signs an access token for user with the fake's own key.
func (s *Server) mint(user string) (string, error) {
	now := time.Now()
	tok, err := jwt.NewBuilder().Issuer(accessTokenIssuer).Audience([]string{accessTokenIssuer}).Subject(user).
		IssuedAt(now).Expiration(now.Add(s.opts.AccessTokenTTL)).Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256, s.key))
	return string(signed), err
}
