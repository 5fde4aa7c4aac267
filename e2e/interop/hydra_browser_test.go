package interop

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestHydraFrontChannelLogoutInChromium: the front-channel cell in a real browser.
// Chromium signs in through our app's password form; a logout started at Hydra
// shows Hydra's front-channel page, whose script loads the gateway's
// frontchannel_logout_uri in a hidden iframe and then goes on to Hydra's
// post-logout page. The clients have no back-channel URI, so only that iframe can end
// the gateway session: the gateway logs the front-channel logout of the known sid,
// and the next visit to the application shows our app's password form again (the
// gateway's session and Hydra's are both gone).
func TestHydraFrontChannelLogoutInChromium(t *testing.T) {
	h := startHydra(t)
	gw, _ := hydraGateway(t, h, hydraClientOptions{frontchannel: true}, hydraPKCE, nil)
	ctx := testenv.Chrome(t)

	signIn := func() {
		t.Helper()
		run(t, ctx, chromedp.Navigate(gw.URL+"/app"), chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)),
			chromedp.SetValue(chromedp.CSS(`input[name="username"]`), hydraUser),
			chromedp.SetValue(chromedp.CSS(`input[name="password"]`), hydraPassword),
			chromedp.Click(chromedp.CSS(`button`)))
		waitLocation(t, ctx, gw.URL+"/app")
	}
	signIn()
	if n := len(testenv.RecordsWithMsg(gw.Logs(), "sign-in succeeded")); n != 1 {
		t.Fatalf("%d sign-ins succeeded in Chromium, want 1", n)
	}

	run(t, ctx, chromedp.Navigate(h.issuer+"oauth2/sessions/logout"))
	waitLocation(t, ctx, h.app.URL+"/logged-out") // after the iframe loaded (or Hydra's 7 s)
	lrs := h.app.logoutRequests()
	if len(lrs) != 1 {
		t.Fatalf("our app saw logout requests %+v, want 1", lrs)
	}
	rec := gw.WaitRecord(t, "front-channel logout", 5*time.Second, func(m map[string]any) bool { return m["sid"] == lrs[0].SID })
	if rec["known_sid"] != true {
		t.Errorf("front-channel logout audit line %v: want known_sid true", rec)
	}

	run(t, ctx, chromedp.Navigate(gw.URL+"/app"), chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)))
	if lr := lastLogin(t, h); lr.Skip {
		t.Errorf("after the logout Hydra still remembered the login: %+v", lr)
	}
}

// run runs the browser actions, bounded by 30 s, or fails t.
func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(cctx, steps...); err != nil {
		t.Fatalf("chromium: %v", err)
	}
}

// waitLocation waits up to 20 s until the browser's location starts with prefix.
func waitLocation(t *testing.T, ctx context.Context, prefix string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var loc string
	for time.Now().Before(deadline) {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		loc, _ = chromedp.Run(cctx, chromedp.Location())
		cancel()
		if strings.HasPrefix(loc, prefix) {
			return
		}
		time.Sleep(100 * time.Millisecond) // polling interval, bounded by the deadline
	}
	t.Fatalf("chromium is at %q after 20s, want %s…", loc, prefix)
}
