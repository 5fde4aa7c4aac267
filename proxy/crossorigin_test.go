package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ssogate/ssogate/internal/csrf"
)

// refusedLog is the message of the cross-origin layer's refusal line.
const refusedLog = "cross-origin request refused"

// postForm builds b's form POST to path with headers, asking for accept.
func (b *browser) postForm(path, accept string, form url.Values, headers map[string]string) *http.Request {
	b.t.Helper()
	req := b.request(http.MethodPost, path, accept, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return req
}

// countingHandler answers 204 and counts the requests it gets.
func countingHandler(n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
}

// TestCrossOriginRefusedOnGatewayRoutes: each state-changing route the gateway owns
// refuses a POST that the browser marks as coming from another site (cross-site,
// a sibling subdomain, an old browser's foreign Origin) with 403 and one log line,
// reason cross_origin, before its handler runs, even with a valid form token. The
// same POSTs from the gateway's own origin get through.
func TestCrossOriginRefusedOnGatewayRoutes(t *testing.T) {
	var settingsHits, restoreHits atomic.Int64
	f := newFixture(t, fixtureOptions{csrf: csrf.New(false), settings: countingHandler(&settingsHits), restore: countingHandler(&restoreHits)})
	alice, bob := f.browser(), f.browser()
	alice.signInAs("alice", "/") // role admin
	bob.signInAs("bob", "/")
	resp, body := alice.api("/oidc/sessions")
	var list sessionsJSON
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || list.CSRFToken == "" {
		t.Fatalf("admin GET /oidc/sessions: %d %s; want 200 with a CSRF token", resp.StatusCode, body)
	}
	resp, body = bob.api("/oidc/userinfo")
	var who struct{ Sub string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &who) != nil || who.Sub == "" {
		t.Fatalf("bob's userinfo: %d %s", resp.StatusCode, body)
	}
	tok := list.CSRFToken
	routes := []struct {
		path string
		form url.Values
	}{
		{"/oidc/settings", url.Values{"action": {"save"}, "OIDC_ISSUER": {"https://evil.example"}, "csrf_token": {tok}}},
		{"/oidc/restore", url.Values{"username": {"admin"}, "password": {"guess"}, "csrf_token": {tok}}},
		{"/oidc/sessions/revoke", url.Values{"user": {who.Sub}, "csrf_token": {tok}}},
		{"/logout", url.Values{"csrf_token": {tok}}},
	}
	hostile := []struct {
		name    string
		headers map[string]string
	}{
		{"cross-site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{"same-site", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://other.app.example"}},
		{"foreign Origin without Sec-Fetch-Site", map[string]string{"Origin": "https://evil.example"}},
	}
	for _, route := range routes {
		for _, h := range hostile {
			resp, body := alice.do(alice.postForm(route.path, "application/json", route.form, h.headers))
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"error":"cross_origin"`) {
				t.Errorf("%s POST %s: got %d %s, want 403 cross_origin", h.name, route.path, resp.StatusCode, body)
			}
		}
	}
	// A browser gets the error page.
	resp, body = alice.do(alice.postForm("/logout", acceptHTML, url.Values{}, hostile[0].headers))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "<h1>Request refused</h1>") ||
		!strings.Contains(body, "came from another site") {
		t.Errorf("cross-site form POST /logout: got %d, want the 403 \"Request refused\" page; body %q", resp.StatusCode, body)
	}

	if settingsHits.Load() != 0 || restoreHits.Load() != 0 {
		t.Errorf("handlers reached by refused requests: settings %d, restore %d; want 0", settingsHits.Load(), restoreHits.Load())
	}
	for name, b := range map[string]*browser{"alice": alice, "bob": bob} {
		if resp, _ := b.api("/oidc/userinfo"); resp.StatusCode != http.StatusOK {
			t.Errorf("%s after the refused requests: userinfo %d, want 200 (still signed in)", name, resp.StatusCode)
		}
	}
	refused := f.logs.records(t, refusedLog)
	if want := len(routes)*len(hostile) + 1; len(refused) != want {
		t.Errorf("%q lines: got %d, want %d", refusedLog, len(refused), want)
	}
	for _, rec := range refused {
		if rec["reason"] != "cross_origin" || rec["status"] != float64(http.StatusForbidden) || rec["method"] != http.MethodPost ||
			rec["level"] != "WARN" || rec["request_id"] == "" || rec["error"] == "" {
			t.Errorf("refusal line %v: want WARN, reason cross_origin, status 403, method POST, the request ID and the cause", rec)
		}
	}
	if rec := refused[0]; rec["path"] != "/oidc/settings" || rec["sec_fetch_site"] != "cross-site" || rec["origin"] != "https://evil.example" {
		t.Errorf("first refusal line %v: want path /oidc/settings, sec_fetch_site cross-site, origin https://evil.example", rec)
	}

	// The same requests from the gateway's own origin get through.
	sameOrigin := map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": f.srv.URL}
	if resp, body := alice.do(alice.postForm("/oidc/settings", acceptHTML, routes[0].form, sameOrigin)); resp.StatusCode != http.StatusNoContent || settingsHits.Load() != 1 {
		t.Errorf("same-origin POST /oidc/settings: got %d %q (handler reached %d times), want the handler's 204", resp.StatusCode, body, settingsHits.Load())
	}
	oldBrowser := map[string]string{"Origin": f.srv.URL} // no Sec-Fetch-Site, Origin is this host
	if resp, body := alice.do(alice.postForm("/oidc/restore", acceptHTML, routes[1].form, oldBrowser)); resp.StatusCode != http.StatusNoContent || restoreHits.Load() != 1 {
		t.Errorf("same-origin POST /oidc/restore: got %d %q (handler reached %d times), want the handler's 204", resp.StatusCode, body, restoreHits.Load())
	}
	if resp, body := alice.do(alice.postForm("/oidc/sessions/revoke", "application/json", routes[2].form, sameOrigin)); resp.StatusCode != http.StatusOK {
		t.Errorf("same-origin POST /oidc/sessions/revoke: got %d %s, want 200", resp.StatusCode, body)
	}
	if resp, _ := bob.api("/oidc/userinfo"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bob after the same-origin revocation: userinfo %d, want 401", resp.StatusCode)
	}
	resp, body = alice.do(alice.postForm("/logout", acceptHTML, routes[3].form, sameOrigin))
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, f.idp.Issuer()+"/logout") {
		t.Errorf("same-origin POST /logout: got %d Location %q, want 302 to the IdP's logout; body %q", resp.StatusCode, loc, body)
	}
	if resp, _ := alice.api("/oidc/userinfo"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("alice after the same-origin logout: userinfo %d, want 401", resp.StatusCode)
	}
	if got := len(f.logs.records(t, refusedLog)); got != len(refused) {
		t.Errorf("%q lines after the same-origin requests: got %d, want still %d", refusedLog, got, len(refused))
	}
}

// TestCrossOriginExemptRoutes: the two routes other sites must reach keep working
// cross-site: the IdP's form_post to /oidc/callback and its back-channel logout.
func TestCrossOriginExemptRoutes(t *testing.T) {
	f := newFixture(t, fixtureOptions{}) // implicit: the callback is a form_post
	idp := mustParse(t, f.idp.Issuer())
	fromIdP := map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": idp.Scheme + "://" + idp.Host}
	b := f.browser()
	cb := b.idpLogin(b.startLogin("/oidc/login?rd=%2Fapp"), "alice", "alice")
	if cb.method != http.MethodPost {
		t.Fatalf("IdP answer: got %s, want a form_post", cb.method)
	}
	resp, body := b.do(b.postForm(cb.url, acceptHTML, cb.form, fromIdP))
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/app" {
		t.Fatalf("cross-site form_post to /oidc/callback: got %d Location %q, want 303 /app; body %q", resp.StatusCode, loc, body)
	}
	_, body = b.api("/oidc/userinfo")
	var info struct{ SID string }
	if err := json.Unmarshal([]byte(body), &info); err != nil || info.SID == "" {
		t.Fatalf("userinfo: %s; want a sid", body)
	}

	idpServer := f.browser()
	form := url.Values{"logout_token": {f.logoutToken(t, info.SID, "jti-cross")}}
	if resp, body := idpServer.do(idpServer.postForm("/oidc/backchannel-logout", "", form, fromIdP)); resp.StatusCode != http.StatusOK {
		t.Fatalf("cross-site POST /oidc/backchannel-logout: got %d %q, want 200", resp.StatusCode, body)
	}
	if resp, _ := b.api("/oidc/userinfo"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after the back-channel logout: userinfo %d, want 401", resp.StatusCode)
	}
	if got := f.logs.records(t, refusedLog); len(got) != 0 {
		t.Errorf("%q lines: got %v, want none", refusedLog, got)
	}
}

// TestCrossOriginLeavesUpstreamPathsAlone: the layer guards the gateway's own routes
// only. A state-changing request to an application path (a sibling site's CORS call,
// an SDK) gets the usual decision and reaches the upstream; the application's own
// cross-origin policy applies to it.
func TestCrossOriginLeavesUpstreamPathsAlone(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	b := f.browser()
	b.signIn("/")
	for _, site := range []string{"same-site", "cross-site"} {
		before := f.hits.Load()
		req := b.request(http.MethodPost, "/api/runs", "application/json", strings.NewReader(`{"name":"r"}`))
		req.Header.Set("Sec-Fetch-Site", site)
		req.Header.Set("Origin", "https://other.app.example")
		if resp, body := b.do(req); resp.StatusCode != http.StatusOK || f.hits.Load() != before+1 {
			t.Errorf("%s POST /api/runs: got %d %q, want 200 from the upstream", site, resp.StatusCode, body)
		}
	}
	anon := f.browser()
	req := anon.request(http.MethodPost, "/oidc/token", "application/json", strings.NewReader("grant_type=x"))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, body := anon.do(req); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "login_url") {
		t.Errorf("anonymous cross-site POST /oidc/token (the upstream's): got %d %q, want the usual 401", resp.StatusCode, body)
	}
	if got := f.logs.records(t, refusedLog); len(got) != 0 {
		t.Errorf("%q lines: got %v, want none", refusedLog, got)
	}
}

// TestCrossOriginPolicy pins what the layer lets through: same-origin and typed
// requests, non-browser clients, safe methods, the two exempt routes, and PUBLIC_URL's
// origin where the Host differs (behind an ingress); nothing else cross-origin.
func TestCrossOriginPolicy(t *testing.T) {
	c, err := newCrossOrigin(mustParse(t, "https://wandb.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		headers            map[string]string
		allowed            bool
	}{
		{"same-origin", http.MethodPost, "/logout", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"typed or bookmarked", http.MethodPost, "/logout", map[string]string{"Sec-Fetch-Site": "none"}, true},
		{"no browser headers", http.MethodPost, "/oidc/settings", nil, true},
		{"PUBLIC_URL's origin, Host rewritten", http.MethodPost, "/oidc/settings", map[string]string{"Origin": "https://wandb.example.com"}, true},
		{"cross-site GET", http.MethodGet, "/logout", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"form_post callback", http.MethodPost, "/oidc/callback", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"back-channel logout", http.MethodPost, "/oidc/backchannel-logout", map[string]string{"Origin": "https://idp.example"}, true},
		{"cross-site", http.MethodPost, "/logout", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"same-site", http.MethodPost, "/logout", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"foreign Origin", http.MethodPost, "/oidc/settings", map[string]string{"Origin": "https://evil.example"}, false},
		{"PUBLIC_URL over http", http.MethodPost, "/oidc/settings", map[string]string{"Origin": "http://wandb.example.com"}, false},
		{"PUT to the callback", http.MethodPut, "/oidc/callback", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"below the callback", http.MethodPost, "/oidc/callback/x", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"DELETE", http.MethodDelete, "/oidc/sessions/revoke", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://ssogate.internal:4180"+tt.path, nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if err := c.Check(r); (err == nil) != tt.allowed {
				t.Errorf("Check: got %v, want allowed=%v", err, tt.allowed)
			}
		})
	}
	if _, err := newCrossOrigin(nil); err != nil {
		t.Errorf("newCrossOrigin(nil): %v", err)
	}
}
