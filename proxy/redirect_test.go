package proxy

import (
	"fmt"
	"strings"
	"testing"
)

// openRedirects are return URLs a browser could read as another origin.
var openRedirects = []string{
	"//evil.com",
	"//evil.com/path",
	`/\evil.com`,
	`\\evil.com`,
	"https://evil.com",
	"HTTPS://evil.com/",
	"%2F%2Fevil.com",
	"/%2F/evil.com",
	"/%2f%2fevil.com",
	"/%5Cevil.com",
	"/\t/evil.com",
	"/\r\n/evil.com",
	"/\n/evil.com",
	"/%0d%0aLocation:%20https://evil.com",
	"/%09/evil.com",
	"javascript:alert(1)",
	"JavaScript:alert(1)",
	"data:text/html,<script>alert(1)</script>",
	"http:evil.com",
	"https:/evil.com",
	"https://gw.example.com@evil.com/",
	"https://user:pass@gw.example.com/",
	"evil.com",
	"ftp://gw.example.com/",
}

func TestOpenRedirectRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	cases := map[string]string{"/ok?x=1": "/ok?x=1", "/runs/a%20b#top": "/runs/a%20b#top", "": "/"}
	for _, rd := range openRedirects {
		cases[rd] = "/"
	}
	for rd, want := range cases {
		t.Run(strings.ToValidUTF8(rd, "?"), func(t *testing.T) {
			b := f.browser()
			before := len(f.logs.records(t, returnRefusedMessage))
			if got := b.signIn(rd); got != want {
				t.Errorf("rd=%q: final Location got %q, want %q", rd, got, want)
			}
			// A refused rd is logged once, with why; an accepted or absent one is not.
			logged := f.logs.records(t, returnRefusedMessage)[before:]
			if want == "/" && rd != "" {
				if len(logged) != 1 || logged[0]["source"] != "rd" || logged[0]["reason"] == "" || logged[0]["request_id"] == "" {
					t.Errorf("rd=%q: refusals logged %v, want one naming the source, the reason and the request", rd, logged)
				}
			} else if len(logged) != 0 {
				t.Errorf("rd=%q: refusals logged %v, want none", rd, logged)
			}
		})
	}
}

func TestCheckReturnSaysWhy(t *testing.T) {
	for rd, want := range map[string]string{
		"/runs?x=1":                             "",
		"":                                      "",
		"https://gw.example.com/x":              "",
		"/" + strings.Repeat("a", maxReturnURL): returnTooLong,
		`/\evil.com`:                            returnControl,
		"/%0d%0aLocation:%20x":                  returnControl,
		"/%zz":                                  returnMalformed,
		"//evil.com":                            returnOtherOrigin,
		"/%2F/evil.com":                         returnOtherOrigin,
		"https://user:pw@gw.example.com/":       returnMalformed,
		"javascript:alert(1)":                   returnNotHTTP,
		"evil.com":                              returnNotHTTP,
		"https://evil.com/":                     returnHostNotListed,
	} {
		ret, reason := checkReturn(rd, "gw.example.com", nil)
		if reason != want {
			t.Errorf("checkReturn(%q): reason %q, want %q", rd, reason, want)
		}
		if (reason != "" || rd == "") != (ret == "/") {
			t.Errorf("checkReturn(%q) = %q with reason %q: refused means \"/\" and accepted means rd", rd, ret, reason)
		}
	}
}

func TestSafeReturn(t *testing.T) {
	const public = "gw.example.com:8443"
	allowed := []string{".example.com", "wandb.internal"}
	good := map[string]string{
		"/":                                 "/",
		"/ok?x=1":                           "/ok?x=1",
		"/a/b?rd=//evil.com":                "/a/b?rd=//evil.com",
		"https://gw.example.com/runs":       "https://gw.example.com/runs",
		"https://gw.example.com:8443/runs":  "https://gw.example.com:8443/runs",
		"https://app.example.com/x":         "https://app.example.com/x",
		"http://deep.app.example.com/x?y=1": "http://deep.app.example.com/x?y=1",
		"https://example.com/":              "https://example.com/",
		"https://wandb.internal/":           "https://wandb.internal/",
		"https://APP.Example.com/x":         "https://APP.Example.com/x",
	}
	bad := append([]string{
		"https://evilexample.com",
		"https://app.example.com.evil.com/",
		"https://wandb.internal.evil.com/",
		"https://sub.wandb.internal/",
		"https://evil.com/?https://app.example.com",
		"https://evil.com#@app.example.com",
		"/" + strings.Repeat("a", 2048),
	}, openRedirects...)
	for _, rd := range bad {
		good[rd] = "/"
	}
	for rd, want := range good {
		if got := safeReturn(rd, public, allowed); got != want {
			t.Errorf("safeReturn(%q): got %q, want %q", rd, got, want)
		}
	}
	// Without an allow-list only the public host is allowed.
	for rd, want := range map[string]string{
		"https://gw.example.com/x":  "https://gw.example.com/x",
		"https://app.example.com/x": "/",
	} {
		if got := safeReturn(rd, public, nil); got != want {
			t.Errorf("safeReturn(%q) without allow-list: got %q, want %q", rd, got, want)
		}
	}
}

// A refused return URL's query and fragment, which may carry tokens, stay out of the log.
func TestRefusedReturnURLLoggedWithoutQuery(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	if got := f.browser().signIn("https://evil.com/cb?code=s3cret#t0ken"); got != "/" {
		t.Fatalf("final Location got %q, want /", got)
	}
	logged := f.logs.records(t, returnRefusedMessage)
	if len(logged) != 1 || logged[0]["return_url"] != "https://evil.com/cb" || logged[0]["reason"] != returnHostNotListed {
		t.Fatalf("refusals logged %v, want one with return_url https://evil.com/cb and reason %s", logged, returnHostNotListed)
	}
	if all := fmt.Sprint(f.logs.records(t, "")); strings.Contains(all, "s3cret") || strings.Contains(all, "t0ken") {
		t.Error("the log repeats the refused URL's query or fragment")
	}
}
