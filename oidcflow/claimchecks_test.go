package oidcflow

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ssogate/ssogate/claims"

	"github.com/ssogate/ssogate/internal/testidp"
)

func TestCheckHalfHash(t *testing.T) {
	// Vectors published with the oidc-token-hash library; the EdDSA (Ed25519) one uses
	// SHA-512 as settled in OpenID Connect issue 1125.
	const token = "YmJiZTAwYmYtMzgyOC00NzhkLTkyOTItNjJjNDM3MGYzOWIy9sFhvH8K_x8UIHj1osisS57f5DduL-ar_qw5jl3lthwpMjm283aVMQXDmoqqqydDSqJfbhptzw8rUVwkuQbolw"
	for _, tc := range []struct {
		alg, want string
		ok        bool
	}{
		{"RS256", "x7vk7f6BvQj0jQHYFIk4ag", true},
		{"ES256", "x7vk7f6BvQj0jQHYFIk4ag", true},
		{"PS384", "ups_76_7CCye_J1WIyGHKVG7AAs2olYm", true},
		{"RS512", "EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ", true},
		{"EdDSA", "EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ", true},
		{"EdDSA", "x7vk7f6BvQj0jQHYFIk4ag", false},
		{"RS256", "x7vk7f6BvQj0jQHYFIk4ah", false},
		{"none", "x7vk7f6BvQj0jQHYFIk4ag", false},
	} {
		err := checkHalfHash(tc.alg, token, tc.want)
		if got := err == nil; got != tc.ok {
			t.Errorf("checkHalfHash(%s, token, %s) = %v, want ok %v", tc.alg, tc.want, err, tc.ok)
		}
	}
}

func TestPKCETokenHashes(t *testing.T) {
	var mu sync.Mutex
	var hook func(map[string]any)
	env := startIdP(t, func(o *testidp.Options) {
		o.TokenHook = func(c map[string]any) {
			mu.Lock()
			defer mu.Unlock()
			if hook != nil {
				hook(c)
			}
		}
	})
	f := newFlow(t, env.options(MethodPKCE))
	halfSHA256 := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return base64URL(sum[:16])
	}
	for _, tc := range []struct {
		name       string
		mod        func(c map[string]any, code string)
		wantReason string
	}{
		{"at_hash matches", func(map[string]any, string) {}, ""},
		{"no at_hash", func(c map[string]any, _ string) { delete(c, "at_hash") }, ""},
		{"at_hash of another token", func(c map[string]any, _ string) { c["at_hash"] = halfSHA256("another-access-token") }, "at_hash"},
		{"c_hash matches", func(c map[string]any, code string) { c["c_hash"] = halfSHA256(code) }, ""},
		{"c_hash of another code", func(c map[string]any, code string) { c["c_hash"] = halfSHA256(code + "x") }, "c_hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls, authURL := f.Start("/", redirectURI)
			cb := callbackFrom(t, browserLogin(t, authURL, "alice", "alice", "login"))
			mu.Lock()
			hook = func(c map[string]any) { tc.mod(c, cb.Code) }
			mu.Unlock()
			_, err := f.Complete(context.Background(), ls, cb)
			if got := Reason(err); tc.wantReason == "" && err != nil || tc.wantReason != "" && got != tc.wantReason {
				t.Fatalf("Complete = %v (reason %q), want reason %q", err, got, tc.wantReason)
			}
		})
	}
}

// startEntraMultiTenant is a fake Entra ID on host ("" for its loopback address)
// whose common, organizations and consumers issuers advertise the {tenantid}
// template, signing with the returned key.
func startEntraMultiTenant(t *testing.T, host string) (*signer, *fakeIdP) {
	t.Helper()
	key := newSigner(t, jose.RS256, "entra-key")
	idp := startFakeIdP(t, host, func(f *fakeIdP) http.Handler {
		mux := http.NewServeMux()
		for _, tenant := range []string{"common", "organizations", "consumers"} {
			mux.HandleFunc("/"+tenant+"/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
				serveJSON(w, discoveryDoc(f.base, f.base+"/{tenantid}/v2.0"))
			})
		}
		mux.Handle("/jwks", f.jwksHandler(key.jwk()))
		return mux
	})
	return key, idp
}

func TestEntraTenantIssuer(t *testing.T) {
	const (
		home  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		other = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	)
	key, idp := startEntraMultiTenant(t, "login.microsoftonline.com")
	clk := newClock()
	issFor := func(tid string) string { return idp.base + "/" + tid + "/v2.0" }
	for _, tc := range []struct {
		name, configured, iss, tid string
		ok                         bool
	}{
		{"common, home tenant", "/common/v2.0", issFor(home), home, true},
		{"organizations, other tenant", "/organizations/v2.0", issFor(other), other, true},
		{"iss of another tenant than tid", "/common/v2.0", issFor(other), home, false},
		{"no tid", "/common/v2.0", issFor(home), "", false},
		{"tid that rewrites the path", "/common/v2.0", idp.base + "/evil/v2.0", "evil", false},
		{"tid with a slash", "/common/v2.0", issFor(home + "/x"), home + "/x", false},
		{"another host", "/common/v2.0", "https://evil.example.com/" + home + "/v2.0", home, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFlow(t, Options{Issuer: idp.base + tc.configured, ClientID: "entra-app", Method: MethodImplicit,
				HTTPClient: idp.client, Now: clk.Now, AllowedTenants: []string{home, strings.ToUpper(other)}})
			ls, _ := f.Start("/", redirectURI)
			c := map[string]any{
				"iss": tc.iss, "aud": "entra-app", "sub": "entra-sub", "nonce": ls.Nonce,
				"iat": clk.Now().Unix(), "exp": clk.Now().Add(time.Hour).Unix(),
				"preferred_username": "alice@contoso.com",
			}
			if tc.tid != "" {
				c["tid"] = tc.tid
			}
			res, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: key.sign(t, c, "")})
			if !tc.ok {
				if got := Reason(err); got != "issuer" {
					t.Fatalf("Complete = %v (reason %q), want reason issuer", err, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if res.Identity.Issuer != tc.iss {
				t.Errorf("Identity.Issuer = %q, want the token's %q", res.Identity.Issuer, tc.iss)
			}
		})
	}
}

// TestForeignEntraTenantRefused: with a multi-tenant issuer, a token that is perfectly
// valid for its own tenant is refused at sign-in and as a bearer token unless
// ALLOWED_TENANTS lists that tenant; without the list, every tenant is refused.
func TestForeignEntraTenantRefused(t *testing.T) {
	const (
		home    = "72f988bf-86f1-41af-91ab-2d7cd011db47"
		foreign = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	)
	key, idp := startEntraMultiTenant(t, "login.microsoftonline.com")
	clk := newClock()
	for _, tc := range []struct {
		name    string
		allowed []string
		tid     string
		ok      bool
	}{
		{"home tenant listed", []string{home}, home, true},
		{"foreign tenant", []string{home}, foreign, false},
		{"no ALLOWED_TENANTS", nil, home, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFlow(t, Options{Issuer: idp.base + "/common/v2.0", ClientID: "entra-app", Method: MethodImplicit,
				HTTPClient: idp.client, Now: clk.Now, AllowedTenants: tc.allowed})
			ls, _ := f.Start("/", redirectURI)
			c := map[string]any{
				"iss": idp.base + "/" + tc.tid + "/v2.0", "aud": "entra-app", "sub": "entra-sub", "tid": tc.tid,
				"nonce": ls.Nonce, "iat": clk.Now().Unix(), "exp": clk.Now().Add(time.Hour).Unix(),
				"roles": []string{"wandb-admins"},
			}
			raw := key.sign(t, c, "")
			_, signInErr := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: raw})
			_, bearerErr := f.VerifyBearer(context.Background(), raw)
			for what, err := range map[string]error{"sign-in": signInErr, "bearer token": bearerErr} {
				switch {
				case tc.ok && err != nil:
					t.Errorf("%s: %v, want accepted", what, err)
				case !tc.ok && Reason(err) != "tenant":
					t.Errorf("%s: %v (reason %q), want reason tenant", what, err, Reason(err))
				}
			}
		})
	}
}

// TestEntraMultiTenantOnAnyHost: the shared Entra endpoints work on every Microsoft
// cloud and on a loopback IdP, each token checked against its own tid; with
// OIDC_PROVIDER=entra a custom host gets Entra's claim rules.
func TestEntraMultiTenantOnAnyHost(t *testing.T) {
	const home = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	for _, tc := range []struct{ host, tenant, provider, wantIdP string }{
		{"login.microsoftonline.us", "common", "", claims.KindEntra},
		{"login.partner.microsoftonline.cn", "consumers", "auto", claims.KindEntra},
		{"", "organizations", "entra", claims.KindEntra},
		{"", "common", "", claims.KindOIDC},
	} {
		t.Run(tc.host+"/"+tc.tenant+"/"+tc.provider, func(t *testing.T) {
			key, idp := startEntraMultiTenant(t, tc.host)
			clk := newClock()
			o := Options{Issuer: idp.base + "/" + tc.tenant + "/v2.0", ClientID: "entra-app", Method: MethodImplicit,
				HTTPClient: idp.client, Now: clk.Now, AllowedTenants: []string{home}}
			o.Normalizer.Provider = tc.provider
			f := newFlow(t, o)
			ls, _ := f.Start("/", redirectURI)
			c := map[string]any{
				"iss": idp.base + "/" + home + "/v2.0", "tid": home, "aud": "entra-app", "sub": "entra-sub", "nonce": ls.Nonce,
				"iat": clk.Now().Unix(), "exp": clk.Now().Add(time.Hour).Unix(), "preferred_username": "alice@contoso.com",
				"groups": []string{"g1"}, "roles": []string{"r1"},
			}
			res, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: key.sign(t, c, "")})
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if res.Identity.IdP != tc.wantIdP {
				t.Errorf("Identity.IdP = %q, want %q", res.Identity.IdP, tc.wantIdP)
			}
			c["iss"] = idp.base + "/f8cdef31-a31e-4b4a-93e4-5f571e91255a/v2.0" // another tenant's issuer, tid unchanged
			ls, _ = f.Start("/", redirectURI)
			c["nonce"] = ls.Nonce
			if _, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: key.sign(t, c, "")}); Reason(err) != "issuer" {
				t.Errorf("a token whose iss is not its tid's: %v, want reason issuer", err)
			}
		})
	}
}
