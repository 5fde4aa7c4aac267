package breakglass

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// browserStep bounds one browser action: a navigation, a click, a read.
const browserStep = 30 * time.Second

// page is what the browser shows after a navigation: its URL, the HTTP status of the
// document and its visible text.
type page struct {
	URL    string
	Status int64
	Text   string
}

// open navigates the browser to rawURL and returns the page it ends on.
func open(t *testing.T, ctx context.Context, rawURL string) page {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	resp, err := chromedp.Run(cctx, chromedp.NavigateResponse(rawURL))
	if err != nil {
		t.Fatalf("browser: open %s: %v", rawURL, err)
	}
	return pageOf(t, ctx, resp)
}

// submit clicks the button sel, which submits a form, and returns the page the
// browser ends on.
func submit(t *testing.T, ctx context.Context, sel string) page {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	resp, err := chromedp.RunResponse(cctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("browser: click %s: %v", sel, err)
	}
	return pageOf(t, ctx, resp)
}

// pageOf reads the visible text of the document whose response is resp.
func pageOf(t *testing.T, ctx context.Context, resp *network.Response) page {
	t.Helper()
	if resp == nil {
		t.Fatalf("browser: no response for the document")
	}
	return page{URL: resp.URL, Status: resp.Status, Text: evaluate[string](t, ctx, `document.body.innerText`)}
}

// evaluate runs a JavaScript expression in the page and returns its value.
func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(cctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("browser: evaluate %s: %v", expr, err)
	}
	return v
}

// fill sets the value of the form fields by CSS selector, in order.
func fill(t *testing.T, ctx context.Context, fields ...[2]string) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	steps := make([]chromedp.Action[chromedp.Void], 0, len(fields))
	for _, f := range fields {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(f[0]), f[1]))
	}
	if err := chromedp.Do(cctx, steps...); err != nil {
		t.Fatalf("browser: fill in %v: %v", fields, err)
	}
}

// typeInto types text into the field sel, key by key, as a person would.
func typeInto(t *testing.T, ctx context.Context, sel, text string) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.SendKeys(chromedp.CSS(sel), text)); err != nil {
		t.Fatalf("browser: type into %s: %v", sel, err)
	}
}

// signInSSO navigates to startURL, signs in as user (password = user name) on the
// provider's login page, and waits until the browser is back on the gateway's host and
// its document matches done (a JavaScript boolean expression).
func signInSSO(t *testing.T, ctx context.Context, gw *testenv.Gateway, idp *testenv.Provider, startURL, user, done string) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.Navigate(startURL), testenv.LoginOIDCProvider(cctx, user, user)); err != nil {
		t.Fatalf("browser: sign in as %s from %s: %v\n--- gateway log ---\n%s\n--- provider log ---\n%s",
			user, startURL, err, gw.Logs(), idp.Logs())
	}
	waitFor(t, ctx, gw, `location.href.startsWith(`+jsString(gw.URL)+`) && document.readyState === 'complete' && (`+done+`)`)
}

// waitFor polls the page for up to 30 seconds until cond, a JavaScript boolean
// expression, holds.
func waitFor(t *testing.T, ctx context.Context, gw *testenv.Gateway, cond string) {
	t.Helper()
	deadline := time.Now().Add(browserStep)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(cctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			at, _ := chromedp.Run(lctx, chromedp.Location())
			text, _ := chromedp.Run(lctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
			cancel()
			t.Fatalf("browser: %s did not hold within %v (last error %v); at %s showing %q\n--- gateway log ---\n%s",
				cond, browserStep, err, at, text, gw.Logs())
		}
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
}

// clearCookies forgets every cookie of the browser, the gateway's and the provider's.
func clearCookies(t *testing.T, ctx context.Context) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, browserStep)
	defer cancel()
	err := chromedp.Do(cctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	if err != nil {
		t.Fatalf("browser: clear cookies: %v", err)
	}
}

// hasElement reports whether the page has an element matching the CSS selector sel.
func hasElement(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	return evaluate[bool](t, ctx, `document.querySelector(`+jsString(sel)+`) !== null`)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}
