package oidcflow

import (
	"net/http"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// multiIdP serves several hand-made issuers under one listener, at /NAME, each with
// the given end_session_endpoint ("" for none), and one shared JWKS.
func multiIdP(t *testing.T, key *signer, endSession map[string]string) *fakeIdP {
	t.Helper()
	return startFakeIdP(t, "", func(f *fakeIdP) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/jwks", f.jwksHandler(key.jwk()))
		for name, end := range endSession {
			mux.HandleFunc("/"+name+"/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
				doc := discoveryDoc(f.base, f.base+"/"+name)
				if end != "" {
					doc["end_session_endpoint"] = f.base + end
				}
				serveJSON(w, doc)
			})
		}
		return mux
	})
}

func TestEndSessionURL(t *testing.T) {
	key := newSigner(t, jose.RS256, "k1")
	idp := multiIdP(t, key, map[string]string{
		"okta":    "/okta/logout",
		"b2c":     "/b2c/logout?p=B2C_1_signin",
		"cognito": "",
	})
	flow := func(name, template string) *Flow {
		return newFlow(t, Options{Issuer: idp.base + "/" + name, ClientID: "web app", Method: MethodPKCE,
			HTTPClient: idp.client, LogoutURL: template})
	}
	const (
		hint = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
		back = "https://app.example.com/signed-out?a=1&b=2"
		// back, query-escaped
		backQ    = "https%3A%2F%2Fapp.example.com%2Fsigned-out%3Fa%3D1%26b%3D2"
		cognito  = "https://acme.auth.eu-west-1.amazoncognito.com/logout?client_id={client_id}&logout_uri={post_logout_redirect_uri}"
		withHint = "https://idp.example.com/end?hint={id_token_hint}&to={post_logout_redirect_uri}"
	)
	okta, b2c, none := flow("okta", ""), flow("b2c", ""), flow("cognito", "")
	for _, tc := range []struct {
		name       string
		flow       *Flow
		hint, back string
		want       string
	}{
		{"hint and return", okta, hint, back, idp.base + "/okta/logout?id_token_hint=" + hint + "&post_logout_redirect_uri=" + backQ},
		{"no hint: client_id", okta, "", back, idp.base + "/okta/logout?client_id=web+app&post_logout_redirect_uri=" + backQ},
		{"hint, no return", okta, hint, "", idp.base + "/okta/logout?id_token_hint=" + hint},
		{"nothing known", okta, "", "", idp.base + "/okta/logout?client_id=web+app"},
		{"endpoint's own query kept", b2c, hint, back, idp.base + "/b2c/logout?id_token_hint=" + hint + "&p=B2C_1_signin&post_logout_redirect_uri=" + backQ},
		{"no endpoint, no template", none, hint, back, ""},
		{"cognito template", flow("cognito", cognito), hint, back,
			"https://acme.auth.eu-west-1.amazoncognito.com/logout?client_id=web+app&logout_uri=" + backQ},
		{"template wins over discovery", flow("okta", cognito), hint, back,
			"https://acme.auth.eu-west-1.amazoncognito.com/logout?client_id=web+app&logout_uri=" + backQ},
		{"template with hint", flow("cognito", withHint), hint, back,
			"https://idp.example.com/end?hint=" + hint + "&to=" + backQ},
		{"placeholder in a value is not expanded", flow("cognito", cognito), "", "https://app.example.com/{client_id}",
			"https://acme.auth.eu-west-1.amazoncognito.com/logout?client_id=web+app&logout_uri=https%3A%2F%2Fapp.example.com%2F%7Bclient_id%7D"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.flow.EndSessionURL(tc.hint, tc.back); got != tc.want {
				t.Errorf("EndSessionURL(%q, %q)\n got %s\nwant %s", tc.hint, tc.back, got, tc.want)
			}
		})
	}
}
