package gateway

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestBrowserCancelAtProvider presses Cancel on the provider's sign-in form, as a user
// who changed their mind does, in English and in Korean: the gateway's page says the
// sign-in was cancelled in plain words, offers Start again back to the page asked
// for, and keeps the provider's code in small print.
func TestBrowserCancelAtProvider(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.PublicClient("spa", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce"})
	ctx := testenv.Chrome(t)
	for _, tc := range []struct {
		lang, heading, action string
	}{
		{"en-US,en;q=0.9", "Sign-in was cancelled", "Start again"},
		{"ko-KR,ko;q=0.9,en;q=0.5", "로그인이 취소되었습니다", "다시 로그인"},
	} {
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := chromedp.Do(cctx,
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders,
					network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": tc.lang}})
				return err
			}),
			chromedp.Navigate(s.gw.URL+"/runs/42"),
			chromedp.WaitVisible(chromedp.CSS(testenv.LoginCancelSelector)),
			chromedp.Click(chromedp.CSS(testenv.LoginCancelSelector)),
			chromedp.WaitVisible(chromedp.CSS(`p.rid`)),
		)
		var page struct{ Heading, Action, Href, Fine, Lang string }
		if err == nil {
			var raw string
			raw, err = chromedp.Run(cctx, chromedp.Evaluate[string](`JSON.stringify({
  Heading: document.querySelector('h1').innerText, Action: document.querySelector('.actions a.button').innerText,
  Href: document.querySelector('.actions a.button').getAttribute('href'),
  Fine: (document.querySelector('p.fine') || {}).innerText || '', Lang: document.documentElement.lang})`))
			if err == nil {
				err = json.Unmarshal([]byte(raw), &page)
			}
		}
		cancel()
		if err != nil {
			t.Fatalf("%s: cancel at the provider: %v\n--- gateway log ---\n%s", tc.lang, err, s.gw.Logs())
		}
		heading, action, href, fine, lang := page.Heading, page.Action, page.Href, page.Fine, page.Lang
		if heading != tc.heading || action != tc.action || href != "/oidc/login?rd=%2Fruns%2F42" ||
			!strings.Contains(fine, "access_denied") || lang != tc.lang[:2] {
			t.Errorf("%s: after Cancel the page shows %q, button %q to %q, small print %q, lang %q; want %q, %q to /oidc/login?rd=%%2Fruns%%2F42, access_denied in small print",
				tc.lang, heading, action, href, fine, lang, tc.heading, tc.action)
		}
	}
}

// startLogoutStack starts a pkce stack whose public client registers PUBLIC_URL/ as
// its post-logout redirect URI, as existing deployments do.
func startLogoutStack(t *testing.T) *stack {
	t.Helper()
	return startStack(t, func(redirect string) testenv.Client {
		c := testenv.PublicClient("spa", redirect)
		c.PostLogoutRedirectURIs = []string{strings.TrimSuffix(redirect, "/oidc/callback") + "/"}
		return c
	}, map[string]string{"OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce"})
}

// TestBrowserSignOutShowsSignedOutPage signs out in the browser with RP-initiated
// logout at the real provider, whose client registers PUBLIC_URL/ as its post-logout
// redirect URI (what existing deployments have): the browser ends on the gateway's
// signed-out page, not on the provider's sign-in form; Sign in again starts a new
// sign-in, and the next visit to the application after that page signs in as usual.
func TestBrowserSignOutShowsSignedOutPage(t *testing.T) {
	t.Parallel()
	s := startLogoutStack(t)
	ctx := testenv.Chrome(t)
	browserSignIn(t, ctx, s, s.gw.URL+"/runs", "alice")

	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err := chromedp.Do(cctx, chromedp.Navigate(s.gw.URL+"/logout"), testenv.LogoutOIDCProvider(),
		chromedp.WaitVisible(chromedp.CSS(`a.button[href="/oidc/login"]`)))
	if err != nil {
		t.Fatalf("sign out: %v\n--- gateway log ---\n%s\n--- provider log ---\n%s", err, s.gw.Logs(), s.idp.Logs())
	}
	s.idp.WaitLog(t, "EVENT end_session.success client=spa", 10*time.Second)
	raw, err := chromedp.Run(cctx, chromedp.Evaluate[string](`JSON.stringify({URL: location.href, Heading: document.querySelector('h1').innerText})`))
	var page struct{ URL, Heading string }
	if err != nil || json.Unmarshal([]byte(raw), &page) != nil {
		t.Fatalf("read the page after sign-out: %v %q", err, raw)
	}
	if page.URL != s.gw.Env["PUBLIC_URL"]+"/oidc/signed-out" || page.Heading != "You are signed out" {
		t.Errorf("after sign-out the browser shows %q at %s; want \"You are signed out\" at /oidc/signed-out", page.Heading, page.URL)
	}
	// The page was shown once; the application now signs in as usual.
	if err := chromedp.Do(cctx, chromedp.Navigate(s.gw.URL+"/runs"), chromedp.WaitVisible(chromedp.CSS(testenv.LoginUserSelector))); err != nil {
		t.Errorf("after the signed-out page, /runs should lead to the provider's sign-in form: %v", err)
	}
}
