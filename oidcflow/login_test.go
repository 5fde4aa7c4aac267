package oidcflow

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ssogate/ssogate/internal/testidp"
)

// checkAuthURL checks the authorization request Start built and returns its query.
func checkAuthURL(t *testing.T, env *idpEnv, ls LoginState, authURL string, want map[string]string) url.Values {
	t.Helper()
	u := mustURL(t, authURL)
	if got, want := u.Scheme+"://"+u.Host+u.Path, env.idp.Issuer()+"/authorize"; got != want {
		t.Errorf("authorize endpoint = %q, want %q", got, want)
	}
	q := u.Query()
	base := map[string]string{
		"state": ls.State, "nonce": ls.Nonce, "client_id": ls.ClientID,
		"redirect_uri": redirectURI, "scope": "openid profile email",
	}
	for k, v := range want {
		base[k] = v
	}
	for k, v := range base {
		if got := q.Get(k); got != v {
			t.Errorf("authorize URL %s = %q, want %q", k, got, v)
		}
	}
	return q
}

func TestPKCELogin(t *testing.T) {
	env := startIdP(t, nil)
	for _, tc := range []struct {
		name, clientID, secret string
		scopes                 []string
		wantRefresh            bool
	}{
		{name: "confidential client", clientID: confidentialClient, secret: clientSecret},
		{name: "public client", clientID: publicClient},
		{name: "offline access", clientID: confidentialClient, secret: clientSecret,
			scopes: []string{"openid", "profile", "email", "offline_access"}, wantRefresh: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := env.options(MethodPKCE)
			o.ClientID, o.ClientSecret, o.Scopes = tc.clientID, tc.secret, tc.scopes
			f := newFlow(t, o)
			ls, authURL := f.Start("/runs/42", redirectURI)
			if ls.Method != MethodPKCE || ls.ReturnTo != "/runs/42" || ls.Verifier == "" || ls.State == ls.Nonce {
				t.Fatalf("LoginState = %+v, want method pkce, return /runs/42, a verifier and distinct state and nonce", ls)
			}
			sum := sha256.Sum256([]byte(ls.Verifier))
			want := map[string]string{"response_type": "code", "code_challenge_method": "S256", "code_challenge": base64URL(sum[:])}
			if tc.scopes != nil {
				want["scope"] = strings.Join(tc.scopes, " ")
			}
			checkAuthURL(t, env, ls, authURL, want)

			cb := callbackFrom(t, browserLogin(t, authURL, "alice", "alice", "login"))
			if cb.Code == "" || cb.IDToken != "" || cb.State != ls.State {
				t.Fatalf("callback = %+v, want a code and the login's state", cb)
			}
			res, err := f.Complete(context.Background(), ls, cb)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			checkAlice(t, res)
			if res.AccessToken == "" {
				t.Errorf("AccessToken is empty, want the token endpoint's")
			}
			if got := res.RefreshToken != ""; got != tc.wantRefresh {
				t.Errorf("got a refresh token = %v, want %v", got, tc.wantRefresh)
			}
			if want := env.clock.Now().Add(time.Hour); !res.IDTokenExpiry.Equal(want) {
				t.Errorf("IDTokenExpiry = %v, want %v", res.IDTokenExpiry, want)
			}

			_, err = f.Complete(context.Background(), ls, cb)
			var ie *IdPError
			if !errors.As(err, &ie) || ie.Code != "invalid_grant" {
				t.Errorf("second Complete with the same code = %v, want the IdP's invalid_grant", err)
			}
		})
	}
}

func checkAlice(t *testing.T, res *Result) {
	t.Helper()
	id := res.Identity
	if id.Subject != "3f6c1e2a-alice" || id.Username != "alice" || id.Email != "alice@example.com" ||
		!id.EmailVerified || id.Name != "Alice Admin" {
		t.Errorf("Identity = %+v, want alice's subject, username, verified email and name", id)
	}
	if want := []string{"wandb-admins", "ml-team"}; !slices.Equal(id.Groups, want) {
		t.Errorf("Groups = %q, want %q", id.Groups, want)
	}
	if res.IDToken == "" {
		t.Errorf("IDToken is empty")
	}
}

func TestPKCELoginWrongClientSecret(t *testing.T) {
	env := startIdP(t, nil)
	o := env.options(MethodPKCE)
	o.ClientSecret = "not-the-secret"
	f := newFlow(t, o)
	ls, authURL := f.Start("/", redirectURI)
	cb := callbackFrom(t, browserLogin(t, authURL, "alice", "alice", "login"))
	_, err := f.Complete(context.Background(), ls, cb)
	var ie *IdPError
	if !errors.As(err, &ie) || ie.Code != "invalid_client" {
		t.Fatalf("Complete = %v, want the IdP's invalid_client", err)
	}
	if got, want := Reason(err), "idp_invalid_client"; got != want {
		t.Errorf("Reason = %q, want %q", got, want)
	}
}

func TestImplicitLogin(t *testing.T) {
	env := startIdP(t, nil)
	f := newFlow(t, env.options(MethodImplicit))
	ls, authURL := f.Start("/", redirectURI)
	if ls.Verifier != "" {
		t.Errorf("implicit LoginState has a PKCE verifier")
	}
	q := checkAuthURL(t, env, ls, authURL, map[string]string{"response_type": "id_token", "response_mode": "form_post"})
	if q.Has("code_challenge") || q.Has("code_challenge_method") {
		t.Errorf("implicit authorize URL %s has a code challenge", authURL)
	}

	r := browserLogin(t, authURL, "alice", "alice", "login")
	if r.Method != http.MethodPost {
		t.Fatalf("callback method = %s, want POST (form_post)", r.Method)
	}
	cb := callbackFrom(t, r)
	if cb.IDToken == "" || cb.Code != "" || cb.State != ls.State {
		t.Fatalf("callback = %+v, want an ID token and the login's state", cb)
	}
	res, err := f.Complete(context.Background(), ls, cb)
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	checkAlice(t, res)
	if res.AccessToken != "" || res.RefreshToken != "" {
		t.Errorf("implicit result has access or refresh tokens")
	}

	// Names in any script arrive intact.
	ls, authURL = f.Start("/", redirectURI)
	res, err = f.Complete(context.Background(), ls, callbackFrom(t, browserLogin(t, authURL, "jisoo", "jisoo", "login")))
	if err != nil {
		t.Fatalf("Complete for jisoo: %v", err)
	}
	if got, want := res.Identity.Name, "김지수"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
}

func TestUserCancelsAtIdP(t *testing.T) {
	env := startIdP(t, nil)
	for _, method := range []string{MethodImplicit, MethodPKCE} {
		t.Run(method, func(t *testing.T) {
			f := newFlow(t, env.options(method))
			ls, authURL := f.Start("/", redirectURI)
			_, err := f.Complete(context.Background(), ls, callbackFrom(t, browserLogin(t, authURL, "", "", "cancel")))
			var ie *IdPError
			if !errors.As(err, &ie) || ie.Code != "access_denied" || ie.Description != "The user cancelled the sign-in." {
				t.Fatalf("Complete = %v, want an *IdPError access_denied with the IdP's description", err)
			}
			if got, want := Reason(err), "idp_access_denied"; got != want {
				t.Errorf("Reason = %q, want %q", got, want)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	noFormPost := startIdP(t, func(o *testidp.Options) { o.ResponseModes = []string{"query", "fragment"} })
	env := startIdP(t, nil)
	badJWKS := startFakeIdP(t, "", func(f *fakeIdP) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
			serveJSON(w, discoveryDoc(f.base, f.base))
		})
		mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
		return mux
	})
	for _, tc := range []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"implicit without form_post", noFormPost.options(MethodImplicit), "OIDC_AUTH_METHOD=implicit"},
		{"no HTTP client", func() Options { o := env.options(MethodPKCE); o.HTTPClient = nil; return o }(), "HTTPClient"},
		{"unknown method", env.options("hybrid"), `"hybrid"`},
		{"JWKS unavailable", Options{Issuer: badJWKS.base, ClientID: "c", Method: MethodPKCE, HTTPClient: badJWKS.client}, "signing keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestAuthStyle(t *testing.T) {
	for _, tc := range []struct {
		methods []string
		secret  string
		want    oauth2.AuthStyle
	}{
		{nil, "", oauth2.AuthStyleInParams},
		{[]string{"client_secret_basic"}, "", oauth2.AuthStyleInParams},
		{nil, "s", oauth2.AuthStyleInHeader},
		{[]string{"client_secret_post", "client_secret_basic"}, "s", oauth2.AuthStyleInHeader},
		{[]string{"client_secret_post"}, "s", oauth2.AuthStyleInParams},
	} {
		if got := authStyle(tc.methods, tc.secret); got != tc.want {
			t.Errorf("authStyle(%q, secret %q) = %v, want %v", tc.methods, tc.secret, got, tc.want)
		}
	}
}
