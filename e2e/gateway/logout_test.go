package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// startOtherSite serves, on host, another site's page with a link to the gateway's
// /logout (returning to /runs/7) and a form that POSTs to it without a token.
func startOtherSite(t *testing.T, host, gatewayURL string) string {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", host, err)
	}
	page := fmt.Sprintf(`<!doctype html><meta charset="utf-8"><title>another site</title>
<a id="go" href="%[1]s/logout?rd=%%2Fruns%%2F7">Read more</a>
<form id="f" method="post" action="%[1]s/logout"><button id="post" type="submit">Win a prize</button></form>`, html.EscapeString(gatewayURL))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// shownPage is what the browser shows: its address, heading and, on the logout
// confirmation page, the Stay signed in link.
type shownPage struct{ URL, Heading, Stay string }

func readPage(t *testing.T, ctx context.Context) shownPage {
	t.Helper()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({URL: location.href,
  Heading: (document.querySelector('h1') || {}).innerText || '', Stay: (document.getElementById('stay') || {href: ''}).getAttribute?.('href') || ''})`))
	var p shownPage
	if err != nil || json.Unmarshal([]byte(raw), &p) != nil {
		t.Fatalf("read the page: %v %q", err, raw)
	}
	return p
}

// stillSignedIn opens /runs and checks the upstream gets alice.
func stillSignedIn(t *testing.T, ctx context.Context, s *stack, when string) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.Navigate(s.gw.URL+"/runs")); err != nil {
		t.Fatalf("%s: open /runs: %v", when, err)
	}
	if _, e := landOnUpstream(t, ctx, s.gw); identityHeaders(e)["X-Auth-Request-User"] != "alice" {
		t.Fatalf("%s: the upstream got user %q, want alice still signed in", when, identityHeaders(e)["X-Auth-Request-User"])
	}
}

// TestLogoutFromAnotherSiteAsksFirst: a signed-in browser that a page on another site
// (127.0.0.2) or on a sibling (127.0.0.1, another port: same-site) links to /logout
// sees the gateway's confirmation page and is still signed in; that site's form
// POSTing to /logout is refused 403; pressing Sign out on the confirmation page signs
// out (at the provider too); typing /logout signs out at once, as before.
func TestLogoutFromAnotherSiteAsksFirst(t *testing.T) {
	t.Parallel()
	s := startLogoutStack(t)
	ctx := testenv.Chrome(t)
	browserSignIn(t, ctx, s, s.gw.URL+"/runs", "alice")
	crossSite := startOtherSite(t, "127.0.0.2", s.gw.URL)
	sibling := startOtherSite(t, "127.0.0.1", s.gw.URL)

	for _, other := range []struct{ url, site string }{{crossSite, "cross-site"}, {sibling, "same-site"}} {
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := chromedp.Do(cctx, chromedp.Navigate(other.url), chromedp.Click(chromedp.CSS("#go")),
			chromedp.WaitVisible(chromedp.CSS("#signout")))
		cancel()
		if err != nil {
			t.Fatalf("%s: follow the link to /logout: %v\n--- gateway log ---\n%s", other.site, err, s.gw.Logs())
		}
		p := readPage(t, ctx)
		if p.URL != s.gw.URL+"/logout?rd=%2Fruns%2F7" || p.Heading != "Do you want to sign out?" || p.Stay != "/runs/7" {
			t.Errorf("%s: the browser shows %+v; want the confirmation at /logout with Stay signed in to /runs/7", other.site, p)
		}
		s.gw.WaitRecord(t, "sign-out asked by another site: confirmation shown", testenv.LogWait, func(r map[string]any) bool {
			return testenv.Str(r, "sec_fetch_site") == other.site && testenv.Str(r, "user") == "alice"
		})
		stillSignedIn(t, ctx, s, other.site+" link to /logout")
	}

	// The other site's own form, POSTing to /logout without a token, is refused.
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	err := chromedp.Do(cctx, chromedp.Navigate(crossSite), chromedp.Click(chromedp.CSS("#post")),
		chromedp.WaitVisible(chromedp.CSS("p.rid")))
	cancel()
	if err != nil {
		t.Fatalf("submit the other site's form: %v", err)
	}
	if p := readPage(t, ctx); p.Heading != "Request refused" || p.URL != s.gw.URL+"/logout" {
		t.Errorf("after the cross-site POST the browser shows %+v; want \"Request refused\" at /logout", p)
	}
	s.gw.WaitRecord(t, "cross-origin request refused", testenv.LogWait, func(r map[string]any) bool {
		return testenv.Str(r, "path") == "/logout" && testenv.Str(r, "reason") == "cross_origin" &&
			testenv.Str(r, "sec_fetch_site") == "cross-site" && r["status"] == float64(http.StatusForbidden)
	})
	s.gw.WaitRecord(t, "request", testenv.LogWait, func(r map[string]any) bool {
		return testenv.Str(r, "method") == http.MethodPost && testenv.Str(r, "path") == "/logout" && r["status"] == float64(http.StatusForbidden)
	})
	stillSignedIn(t, ctx, s, "the cross-site POST /logout")

	// Sign out from the confirmation page: signed out here and at the provider.
	cctx, cancel = context.WithTimeout(ctx, time.Minute)
	err = chromedp.Do(cctx, chromedp.Navigate(crossSite), chromedp.Click(chromedp.CSS("#go")),
		chromedp.WaitVisible(chromedp.CSS("#signout")), chromedp.Click(chromedp.CSS("#signout")),
		testenv.LogoutOIDCProvider(), chromedp.WaitVisible(chromedp.CSS(`a.button[href="/oidc/login"]`)))
	cancel()
	if err != nil {
		t.Fatalf("press Sign out on the confirmation page: %v\n--- gateway log ---\n%s", err, s.gw.Logs())
	}
	if p := readPage(t, ctx); p.Heading != "You are signed out" {
		t.Errorf("after Sign out the browser shows %+v; want \"You are signed out\"", p)
	}
	s.gw.WaitRecord(t, "signed out", testenv.LogWait, func(r map[string]any) bool { return testenv.Str(r, "user") == "alice" })
	cctx, cancel = context.WithTimeout(ctx, time.Minute)
	err = chromedp.Do(cctx, chromedp.Navigate(s.gw.URL+"/runs"), chromedp.WaitVisible(chromedp.CSS(testenv.LoginUserSelector)))
	cancel()
	if err != nil {
		t.Fatalf("after Sign out, /runs should lead to the provider's sign-in form: %v", err)
	}

	// Typed in (Sec-Fetch-Site none), /logout signs out at once, as before.
	cctx, cancel = context.WithTimeout(ctx, time.Minute)
	err = chromedp.Do(cctx, testenv.LoginOIDCProvider(cctx, "alice", "alice"))
	cancel()
	if err != nil {
		t.Fatalf("sign in again: %v", err)
	}
	landOnUpstream(t, ctx, s.gw)
	cctx, cancel = context.WithTimeout(ctx, time.Minute)
	err = chromedp.Do(cctx, chromedp.Navigate(s.gw.URL+"/logout"), testenv.LogoutOIDCProvider(),
		chromedp.WaitVisible(chromedp.CSS(`a.button[href="/oidc/login"]`)))
	cancel()
	if err != nil {
		t.Fatalf("typed /logout: %v\n--- gateway log ---\n%s", err, s.gw.Logs())
	}
	s.gw.WaitLogRecords(t, "two sign-outs", 2, testenv.LogWait, func(r map[string]any) bool {
		return testenv.Str(r, "msg") == "signed out" && testenv.Str(r, "user") == "alice"
	})
	if n := len(testenv.LogRecords(s.gw.Logs(), func(r map[string]any) bool {
		return testenv.Str(r, "msg") == "sign-out asked by another site: confirmation shown"
	})); n != 3 {
		t.Errorf("confirmation pages shown: %d, want 3 (two sites, then the one signed out from); the typed /logout asks nothing", n)
	}
}
