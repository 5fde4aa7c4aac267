package testenv

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// relyingParty records what the provider sends back to a client, one channel per path.
type relyingParty struct {
	*httptest.Server
	got map[string]chan url.Values
}

func newRelyingParty(t *testing.T, paths ...string) *relyingParty {
	rp := &relyingParty{got: map[string]chan url.Values{}}
	for _, p := range paths {
		rp.got[p] = make(chan url.Values, 8)
	}
	rp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch, ok := rp.got[r.URL.Path]
		if err := r.ParseForm(); !ok || err != nil {
			http.NotFound(w, r)
			return
		}
		select {
		case ch <- r.Form:
		default:
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!DOCTYPE html><title>client</title><p>back at the client</p>"))
	}))
	t.Cleanup(rp.Close)
	return rp
}

// next returns the next request to path, or fails the test after 20 seconds.
func (rp *relyingParty) next(t *testing.T, path string) url.Values {
	t.Helper()
	select {
	case form := <-rp.got[path]:
		return form
	case <-time.After(20 * time.Second):
		t.Fatalf("no request to %s within 20s", path)
		return nil
	}
}

func authURL(issuer string, params map[string]string) string {
	q := url.Values{"scope": {"openid profile email groups"}, "state": {"st"}, "nonce": {"nc"}}
	for k, v := range params {
		q.Set(k, v)
	}
	return issuer + "/auth?" + q.Encode()
}

func TestLoginInChrome(t *testing.T) {
	rp := newRelyingParty(t, "/cb", "/backchannel", "/logged-out")
	implicit := ImplicitClient("implicit", rp.URL+"/cb")
	web := ConfidentialClient("web", "secret", rp.URL+"/cb")
	web.Consent = true
	web.PostLogoutRedirectURIs = []string{rp.URL + "/logged-out"}
	web.BackchannelLogoutURI = rp.URL + "/backchannel"
	web.BackchannelLogoutSessionRequired = true
	p := StartOIDCProvider(t, ProviderConfig{Clients: []Client{implicit, web}})

	t.Run("implicit form_post", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(Chrome(t), time.Minute)
		defer cancel()
		u := authURL(p.Issuer, map[string]string{"client_id": "implicit", "redirect_uri": rp.URL + "/cb",
			"response_type": "id_token", "response_mode": "form_post"})
		if err := chromedp.Do(ctx, chromedp.Navigate(u), LoginOIDCProvider(ctx, "jisoo", "jisoo")); err != nil {
			t.Fatalf("login: %v\n--- provider log ---\n%s", err, p.Logs())
		}
		form := rp.next(t, "/cb")
		if form.Get("state") != "st" {
			t.Errorf("state = %q, want st", form.Get("state"))
		}
		claims := JWTClaims(t, form.Get("id_token"))
		groups, _ := claims["groups"].([]any)
		if claims["sub"] != "jisoo" || claims["name"] != "김지수" || claims["nonce"] != "nc" ||
			claims["email"] != "jisoo@example.com" || !slices.Equal(groups, []any{"ml-team"}) {
			t.Errorf("ID token claims = %v; want jisoo, 김지수, nonce nc, email and groups [ml-team]", claims)
		}
	})

	t.Run("wrong password, retry, consent, logout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(Chrome(t), 2*time.Minute)
		defer cancel()
		u := authURL(p.Issuer, map[string]string{"client_id": "web", "redirect_uri": rp.URL + "/cb",
			"response_type": "code"})
		err := chromedp.Do(ctx, chromedp.Navigate(u), LoginOIDCProvider(ctx, "alice", "wrong"))
		if !errors.Is(err, ErrLoginRejected) {
			t.Fatalf("login with a wrong password: err = %v, want ErrLoginRejected", err)
		}
		p.WaitLog(t, `EVENT login.failed login="alice"`, 5*time.Second)
		if err := chromedp.Do(ctx, LoginOIDCProvider(ctx, "alice", "alice")); err != nil {
			t.Fatalf("login after retry: %v\n--- provider log ---\n%s", err, p.Logs())
		}
		if code := rp.next(t, "/cb").Get("code"); code == "" {
			t.Errorf("no authorization code at the redirect URI")
		}
		p.WaitLog(t, "EVENT consent.success", 5*time.Second)

		end := p.Issuer + "/session/end?" + url.Values{"client_id": {"web"},
			"post_logout_redirect_uri": {rp.URL + "/logged-out"}}.Encode()
		if err := chromedp.Do(ctx, chromedp.Navigate(end), LogoutOIDCProvider()); err != nil {
			t.Fatalf("logout: %v", err)
		}
		claims := JWTClaims(t, rp.next(t, "/backchannel").Get("logout_token"))
		if claims["sub"] != "alice" || claims["sid"] == nil {
			t.Errorf("logout token claims = %v; want sub alice and a sid", claims)
		}
		rp.next(t, "/logged-out")
		p.WaitLog(t, "EVENT backchannel.success client=web sub=alice", 5*time.Second)
	})
}
