package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package installs the browser (.ci/run installs it).
const ChromiumPath = "/usr/bin/chromium"

// chromeStartTimeout bounds the browser's start in Chrome.
const chromeStartTimeout = time.Minute

// Chrome starts a headless Chromium for this test and returns a chromedp context for it.
// The browser has a fresh profile in t.TempDir() and a TMPDIR of its own, runs with
// --headless --no-sandbox --disable-gpu --disable-background-networking
// --disable-component-update --disable-sync --no-first-run (plus chromedp's quiet
// defaults), and is closed in t.Cleanup. extra adds flags, e.g. HostResolverRules or
// IgnoreCertificateErrors. The context has no deadline: wrap it with context.WithTimeout
// around each chromedp.Do or chromedp.Run (never the first, which Chrome has made). If the
// test fails, Chromium's own output is logged.
func Chrome(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	RequireFile(t, ChromiumPath, "chromium")
	output := newLogBuffer()
	tmp := chromiumTempDir(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.CombinedOutput(output),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc() // waits for the browser process to exit
		if t.Failed() {
			out, _ := output.snapshot()
			t.Logf("chromium output:\n%s", out)
		}
	})

	// The first Do starts the browser, which lives as long as that call's context: so no
	// timeout on it; the wait for it is bounded here instead (cleanup cancels it).
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	deadline := time.NewTimer(chromeStartTimeout)
	defer deadline.Stop()
	select {
	case err := <-started:
		if err != nil {
			out, _ := output.snapshot()
			t.Fatalf("testenv: start %s: %v\n--- output ---\n%s", ChromiumPath, err, out)
		}
	case <-deadline.C:
		t.Fatalf("testenv: %s did not start within %v", ChromiumPath, chromeStartTimeout)
	}
	return ctx
}

// chromiumTempDir returns a TMPDIR for one browser, removed in t.Cleanup after the
// browser has exited (Chrome registers its own cleanup later, which runs first).
// Chromium keeps its profile lock's socket in a directory of its own under TMPDIR and
// leaves it behind when it is killed, as it is at the end of every test. The directory
// is not under t.TempDir(): a socket path must fit in 108 bytes, and t.TempDir() holds
// the test's name.
func chromiumTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ssogate-chromium-")
	if err != nil {
		t.Fatalf("testenv: a temporary directory for chromium: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("testenv: remove chromium's temporary directory: %v", err)
		}
	})
	return dir
}

// BrowserCookies returns the cookies the browser of ctx (from Chrome) holds for rawURL,
// or fails the test.
func BrowserCookies(t testing.TB, ctx context.Context, rawURL string) []*network.Cookie {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Run(cctx, func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{rawURL}})
	})
	if err != nil {
		t.Fatalf("read the browser's cookies for %s: %v", rawURL, err)
	}
	return res.Cookies
}

// HostResolverRules maps host names for the browser, e.g. "MAP *.test 127.0.0.1", so that
// cross-site tests can use several names that all reach loopback.
func HostResolverRules(rules string) chromedp.ExecAllocatorOption {
	return chromedp.Flag("host-resolver-rules", rules)
}

// IgnoreCertificateErrors makes the browser accept the tests' self-signed certificates.
func IgnoreCertificateErrors() chromedp.ExecAllocatorOption {
	return chromedp.Flag("ignore-certificate-errors", true)
}

// Selectors of the test provider's pages (oidc-provider's devInteractions, plus the retry
// page of testdata/oidc-provider/login.js), for tests that drive them by hand.
const (
	// Login page, at ISSUER/interaction/UID.
	LoginUserSelector     = `input[name="login"]`
	LoginPasswordSelector = `input[name="password"]`
	LoginSubmitSelector   = `form:has(input[name="prompt"][value="login"]) button[type="submit"]` // "Sign-in"
	LoginCancelSelector   = `a[href$="/abort"]`                                                   // "[ Cancel ]": error=access_denied
	// LoginErrorSelector is on the page shown (status 401) after a wrong login or password.
	LoginErrorSelector = `#login-error`
	// ConsentSubmitSelector is the consent page's "Continue" button (only for clients
	// registered with Consent: true).
	ConsentSubmitSelector = `form:has(input[name="prompt"][value="consent"]) button[type="submit"]`
	// LogoutConfirmSelector is "Yes, sign me out" on ISSUER/session/end (RP-initiated logout).
	LogoutConfirmSelector = `button[name="logout"][value="yes"]`
)

// loginTimeout bounds each of LoginOIDCProvider's and LogoutOIDCProvider's steps.
const loginTimeout = 20 * time.Second

// ErrLoginRejected is returned by LoginOIDCProvider's action when the provider refused the
// user name or password.
var ErrLoginRejected = errors.New("testenv: the provider rejected the login")

// markSubmitted marks the current document before a click that submits it, so that
// pageState can tell it from the page that replaces it.
const markSubmitted = `window.__testenvSubmitted = true`

// pageState classifies the provider page the browser shows.
const pageState = `(() => {
  if (window.__testenvSubmitted) return 'submitting';
  if (document.readyState === 'loading') return 'loading';
  if (document.querySelector('#login-error')) return 'rejected';
  if (document.querySelector('input[name="prompt"][value="consent"]')) return 'consent';
  if (document.querySelector('input[name="prompt"][value="login"]')) return 'login';
  if (document.title === 'oops! something went wrong') return 'error';
  return 'done';
})()`

// LoginOIDCProvider returns the action that signs user in on the test provider's login
// page, which the browser must be showing or about to show (after navigating to the gateway
// or the authorization endpoint): fill in the login and password, click "Sign-in", click
// "Continue" if a consent page follows, and return once the browser has left the provider's
// pages (it is then on its way back to the client, e.g. through the form_post page). A
// refused password gives ErrLoginRejected; a provider error page gives its text. Each step is
// bounded by 20 seconds. ctx is the browser context from Chrome, kept for call sites such as
// chromedp.Do(ctx, chromedp.Navigate(u), LoginOIDCProvider(ctx, "alice", "alice")); the
// action runs in the context that chromedp.Do gives it.
//
// This chromedp version has no Tasks type; Action[Void] (joined with chromedp.Steps) is its
// replacement.
func LoginOIDCProvider(ctx context.Context, user, pass string) chromedp.Action[chromedp.Void] {
	_ = ctx
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ctx, cancel := context.WithTimeout(ctx, loginTimeout)
		defer cancel()
		_, err := chromedp.Steps(
			chromedp.WaitVisible(chromedp.CSS(LoginUserSelector)),
			chromedp.SetValue(chromedp.CSS(LoginUserSelector), user),
			chromedp.SetValue(chromedp.CSS(LoginPasswordSelector), pass),
			chromedp.Evaluate[chromedp.Void](markSubmitted),
			chromedp.Click(chromedp.CSS(LoginSubmitSelector)),
		)(ctx, t)
		if err != nil {
			return fmt.Errorf("testenv: fill in the provider's login page: %w", err)
		}
		return finishLogin(ctx, t)
	})
}

// finishLogin polls the page after "Sign-in" until the browser leaves the provider's
// login and consent pages, clicking "Continue" on a consent page.
func finishLogin(ctx context.Context, t *chromedp.Target) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	consented := false
	var state string
	for {
		// An evaluation fails while a navigation replaces the document: try again.
		if s, err := chromedp.Evaluate[string](pageState)(ctx, t); err == nil {
			state = s
			switch state {
			case "done":
				return nil
			case "rejected":
				return ErrLoginRejected
			case "error":
				text, _ := chromedp.Text(chromedp.CSS("body"))(ctx, t)
				return fmt.Errorf("testenv: the provider showed an error page: %s", text)
			case "consent":
				if !consented {
					_, err := chromedp.Steps(
						chromedp.Evaluate[chromedp.Void](markSubmitted),
						chromedp.Click(chromedp.CSS(ConsentSubmitSelector)),
					)(ctx, t)
					if err != nil {
						return fmt.Errorf("testenv: click the provider's Continue button: %w", err)
					}
					consented = true
				}
			}
		}
		select {
		case <-ctx.Done():
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			url, _ := chromedp.Location()(lctx, t)
			cancel()
			return fmt.Errorf("testenv: still on the provider's pages at %s (state %q) after %v: %w", url, state, loginTimeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// LogoutOIDCProvider returns the action that confirms RP-initiated logout on the provider's
// "Do you want to sign-out" page (ISSUER/session/end), which the browser must be showing or
// about to show, bounded by 20 seconds. The provider then sends back-channel logouts and
// redirects to the post_logout_redirect_uri.
func LogoutOIDCProvider() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ctx, cancel := context.WithTimeout(ctx, loginTimeout)
		defer cancel()
		if _, err := chromedp.Click(chromedp.CSS(LogoutConfirmSelector))(ctx, t); err != nil {
			return fmt.Errorf("testenv: confirm logout on the provider: %w", err)
		}
		return nil
	})
}
