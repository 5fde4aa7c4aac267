package sessions

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// pageProbe tells what the browser shows: the echo page, the provider's login form,
// or something else.
const pageProbe = `(() => {
  const e = document.getElementById('echo');
  return JSON.stringify({url: location.href, echo: e ? e.textContent : '',
    login: !!document.querySelector('input[name="login"]'),
    body: document.body ? document.body.innerText : ''});
})()`

type page struct {
	URL   string `json:"url"`
	Echo  string `json:"echo"`
	Login bool   `json:"login"`
	Body  string `json:"body"`
}

// signIn navigates the browser to gw's startPath and signs in as user (password =
// user name) if the provider asks; when the provider still has a session it signs
// the browser in without a form. With user "" a sign-in form fails the test. It returns what the upstream echoed once the
// browser shows its page.
func signIn(t *testing.T, ctx context.Context, c *cluster, gw *testenv.Gateway, startPath, user string) echoed {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.Navigate(gw.URL+startPath)); err != nil {
		t.Fatalf("navigate to %s%s: %v", gw.URL, startPath, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	loggedIn := false
	var p page
	for time.Now().Before(deadline) {
		p = probe(cctx)
		switch {
		case p.Echo != "":
			var e echoed
			if err := json.Unmarshal([]byte(p.Echo), &e); err != nil {
				t.Fatalf("echo page at %s: %v", p.URL, err)
			}
			return e
		case p.Login && user == "":
			t.Fatalf("%s%s sent the browser to the provider's sign-in form; want the upstream page at once", gw.URL, startPath)
		case p.Login && !loggedIn:
			if err := chromedp.Do(cctx, testenv.LoginOIDCProvider(cctx, user, user)); err != nil {
				t.Fatalf("sign in as %s: %v\n--- gateway log ---\n%s\n--- provider log ---\n%s", user, err, gw.Logs(), c.idp.Logs())
			}
			loggedIn = true
		case strings.Contains(p.Body, "Request ID"):
			t.Fatalf("the gateway showed an error page at %s: %s\n--- gateway log ---\n%s", p.URL, p.Body, gw.Logs())
		}
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
	t.Fatalf("the browser did not reach the upstream; at %s showing %q\n--- gateway log ---\n%s\n--- provider log ---\n%s",
		p.URL, p.Body, gw.Logs(), c.idp.Logs())
	return echoed{}
}

// probe returns what the browser shows; an evaluation that fails while a navigation
// replaces the document gives the zero page.
func probe(ctx context.Context) page {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	raw, err := chromedp.Run(cctx, chromedp.Evaluate[string](pageProbe))
	var p page
	if err == nil {
		_ = json.Unmarshal([]byte(raw), &p)
	}
	return p
}

// cookieHeader returns the Cookie header the browser sends to rawURL: every cookie it
// holds for that URL. Cookies ignore ports, so what a gateway set on 127.0.0.1 goes to
// every gateway on 127.0.0.1.
func cookieHeader(t *testing.T, ctx context.Context, rawURL string) string {
	t.Helper()
	var parts []string
	session := false
	for _, c := range testenv.BrowserCookies(t, ctx, rawURL) {
		parts = append(parts, c.Name+"="+c.Value)
		session = session || c.Name == "ssogate"
	}
	if !session {
		t.Fatalf("the browser holds no ssogate session cookie for %s; it has %v", rawURL, parts)
	}
	return strings.Join(parts, "; ")
}

// userinfoSID returns the IdP session ID of the session cookie names, from gw's
// /oidc/userinfo.
func userinfoSID(t *testing.T, gw *testenv.Gateway, cookie string) string {
	t.Helper()
	r := get(t, gw.URL+"/oidc/userinfo", cookie, acceptJSON)
	if r.status != 200 {
		t.Fatalf("GET %s/oidc/userinfo: status %d, want 200\n%s", gw.URL, r.status, r.body)
	}
	sid, _ := r.jsonBody(t)["sid"].(string)
	if sid == "" {
		t.Fatalf("GET %s/oidc/userinfo: no sid in %s", gw.URL, r.body)
	}
	return sid
}
