// Package pages photographs every page the gateway renders, in English and Korean, at
// a desktop and a phone size in a real Chromium, and checks what a person would:
// nothing runs off the side of the screen, and text and controls stand out from their
// background (WCAG 2.2: text 4.5:1, large text and control boundaries 3:1).
package pages

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/web"
)

// viewports are the sizes every page is checked at.
var viewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"1280x800", 1280, 800, false},
	{"375x740", 375, 740, true},
}

// languages are the Accept-Language values the browser sends.
var languages = map[web.Lang]string{web.English: "en-US,en;q=0.9", web.Korean: "ko-KR,ko;q=0.9"}

// TestPagesScreenshotsFitAndContrast renders each page of shots() through the real
// renderer, opens it in Chromium at each viewport in each language, saves a
// screenshot (to $SCREENSHOT_DIR when set, else a temporary directory named in the
// log) and fails on horizontal overflow or on text or controls below the contrast
// WCAG asks for, computed from the styles Chromium applied.
func TestPagesScreenshotsFitAndContrast(t *testing.T) {
	renderer, err := web.New()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]shot{}
	for _, s := range shots() {
		byName[s.name] = s
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_selfcheck" { // a page with every fault the audit must catch
			fmt.Fprint(w, selfcheckPage)
			return
		}
		s, ok := byName[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if err := renderer.Render(w, r, s.status, s.page, s.data); err != nil {
			t.Errorf("render %s: %v", s.name, err)
		}
	}))
	t.Cleanup(srv.Close)

	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	t.Logf("screenshots in %s", dir)
	ctx := testenv.Chrome(t)
	setViewport(t, ctx, 375, 740, true)
	if a := visit(t, ctx, srv.URL+"/_selfcheck"); a.ScrollWidth <= a.ClientWidth || len(a.Problems) != 2 {
		t.Fatalf("the audit missed a fault on its self-check page: %+v; want overflow, faint text and a borderless button", a)
	}
	for _, lang := range web.Languages() {
		setHeaders(t, ctx, languages[lang])
		for _, vp := range viewports {
			setViewport(t, ctx, vp.width, vp.height, vp.mobile)
			for _, s := range shots() {
				name := fmt.Sprintf("%s-%s-%s", s.name, lang, vp.name)
				a := visit(t, ctx, srv.URL+"/"+s.name)
				if a.Lang != string(lang) {
					t.Errorf("%s: <html lang=%q>, want %q", name, a.Lang, lang)
				}
				if a.ScrollWidth > a.ClientWidth {
					t.Errorf("%s: the page is %dpx wide in a %dpx window (horizontal scrolling); widest: %s",
						name, a.ScrollWidth, a.ClientWidth, a.Widest)
				}
				for _, p := range a.Problems {
					t.Errorf("%s: %s", name, p)
				}
				if a.Checked < 5 {
					t.Errorf("%s: only %d elements checked for contrast; the audit is broken", name, a.Checked)
				}
				png := screenshot(t, ctx)
				if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// selfcheckPage has text at 1.9:1, a button whose boundary is 1.2:1 and a block
// wider than a phone.
const selfcheckPage = `<!doctype html><html lang="en"><body style="background:#fff;margin:0">
<p style="color:#aaa">faint text</p><button style="background:#fff;border:1px solid #eee;color:#000">ok</button>
<div style="width:900px">wide</div><footer></footer></body></html>`

// audit is what auditJS finds on a page.
type audit struct {
	Lang                     string
	ScrollWidth, ClientWidth int
	Widest                   string
	Checked                  int
	Problems                 []string
}

// visit opens rawURL and audits the page it shows.
func visit(t *testing.T, ctx context.Context, rawURL string) audit {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.Navigate(rawURL), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
		t.Fatalf("open %s: %v", rawURL, err)
	}
	raw, err := chromedp.Run(cctx, chromedp.Evaluate[string](auditJS))
	if err != nil {
		t.Fatalf("audit %s: %v", rawURL, err)
	}
	var a audit
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatalf("audit %s: %v in %q", rawURL, err, raw)
	}
	return a
}

// setHeaders makes the browser send Accept-Language: lang with every request.
func setHeaders(t *testing.T, ctx context.Context, lang string) {
	t.Helper()
	cdpCall(t, ctx, func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
		return err
	})
}

// setViewport sizes the page like a window of width×height CSS pixels.
func setViewport(t *testing.T, ctx context.Context, width, height int64, mobile bool) {
	t.Helper()
	cdpCall(t, ctx, func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: width, Height: height, DeviceScaleFactor: 1, Mobile: mobile})
		return err
	})
}

// screenshot captures the viewport as PNG.
func screenshot(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	var png []byte
	cdpCall(t, ctx, func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
		png = res.Data
		return err
	})
	return png
}

// cdpCall runs f in the browser with a bounded context.
func cdpCall(t *testing.T, ctx context.Context, f func(context.Context, *chromedp.Target) error) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(cctx, chromedp.Func(f)); err != nil {
		t.Fatalf("browser: %v", err)
	}
}
