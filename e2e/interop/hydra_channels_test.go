package interop

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// logoutTap records the back-channel logout tokens Hydra posts and passes each request
// on, unchanged, to the gateway's POST /oidc/backchannel-logout, answering with the
// gateway's status: the tokens can be read while the gateway judges them.
type logoutTap struct {
	*httptest.Server
	mu       sync.Mutex
	tokens   []string
	statuses []int
}

func startLogoutTap(t *testing.T, gwAddr string) *logoutTap {
	t.Helper()
	tap := &logoutTap{}
	tap.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		resp, err := http.Post("http://"+gwAddr+"/oidc/backchannel-logout", r.Header.Get("Content-Type"), bytes.NewReader(body))
		status := http.StatusBadGateway
		if err == nil {
			resp.Body.Close()
			status = resp.StatusCode
		}
		form, _ := url.ParseQuery(string(body))
		tap.mu.Lock()
		tap.tokens = append(tap.tokens, form.Get("logout_token"))
		tap.statuses = append(tap.statuses, status)
		tap.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(tap.Close)
	return tap
}

// wait returns the first logout token and the gateway's status for it, failing t when
// none comes within 15 s.
func (tap *logoutTap) wait(t *testing.T) (string, int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		tap.mu.Lock()
		if len(tap.tokens) > 0 {
			defer tap.mu.Unlock()
			return tap.tokens[0], tap.statuses[0]
		}
		tap.mu.Unlock()
		time.Sleep(50 * time.Millisecond) // polling interval, bounded by the deadline
	}
	t.Fatal("Hydra posted no back-channel logout token within 15s")
	return "", 0
}

// TestHydraBackChannelLogout: a logout started at Hydra (its end-session endpoint
// without id_token_hint, as another application or Hydra's own "log out" link would)
// ends the gateway session through back-channel logout, with both stores. Hydra's
// logout_token names the login session (sid) and carries no exp (nor sub): the gateway
// accepts it by iat and the jti replay guard, answers 200 and logs the logout; the
// browser's gateway cookie, untouched by the logout, then gets 401.
func TestHydraBackChannelLogout(t *testing.T) {
	h := startHydra(t)
	if d := getDiscovery(t, h.issuer+".well-known/openid-configuration"); !d.Backchannel || !d.BackchannelSession {
		t.Errorf("Hydra's discovery: backchannel_logout_supported %v, backchannel_logout_session_supported %v; want both", d.Backchannel, d.BackchannelSession)
	}
	bothStores(t, func(t *testing.T, env map[string]string) {
		gwAddr := testenv.FreeAddr(t)
		tap := startLogoutTap(t, gwAddr)
		cs := h.registerClients(t, gwAddr, hydraClientOptions{backchannel: tap.URL})
		settings := hydraPKCE(cs)
		for k, v := range env {
			settings[k] = v
		}
		gw := startGateway(t, gwAddr, h.issuer, settings)
		c := testenv.NewClient(t, true)
		wantIdentity(t, formSignInWith(t, c, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)

		end := followHydraLogout(t, h, c, h.issuer+"oauth2/sessions/logout")
		if end.resp.Request.URL.String() != h.app.URL+"/logged-out" {
			t.Fatalf("Hydra's logout ends at %s, want its post-logout page %s/logged-out\n%s", end.resp.Request.URL, h.app.URL, end.body)
		}
		lrs := h.app.logoutRequests()
		if len(lrs) == 0 || lrs[len(lrs)-1].RPInitiated {
			t.Fatalf("our app's logout requests %+v: want the last one started at Hydra (not RP-initiated)", lrs)
		}
		sid := lrs[len(lrs)-1].SID

		raw, status := tap.wait(t)
		claims := testenv.JWTClaims(t, raw)
		header := testenv.JWTHeader(t, raw)
		t.Logf("Hydra's logout_token: header %v, claims %v", header, claims)
		if header["typ"] == "logout+jwt" {
			t.Errorf("Hydra's logout_token now has typ logout+jwt: update docs/interop.md")
		}
		if _, ok := claims["exp"]; ok {
			t.Errorf("Hydra's logout_token now has exp %v: update docs/interop.md", claims["exp"])
		}
		events, _ := claims["events"].(map[string]any)
		if _, ok := events["http://schemas.openid.net/event/backchannel-logout"]; !ok || claims["sid"] != sid ||
			claims["iss"] != h.issuer || !audienceHas(claims["aud"], cs.public) || claims["iat"] == nil || claims["jti"] == nil {
			t.Errorf("logout_token claims %v: want the back-channel event, sid %s, iss %s, aud %s, iat and jti", claims, sid, h.issuer, cs.public)
		}
		if status != http.StatusOK {
			t.Fatalf("the gateway answered Hydra's logout_token with %d, want 200\n--- gateway log ---\n%s", status, gw.Logs())
		}
		rec := gw.WaitRecord(t, "back-channel logout", 5*time.Second, func(m map[string]any) bool { return m["sid"] == sid })
		if env["SESSION_STORE"] != "" && rec["sessions_ended"] != float64(1) {
			t.Errorf("back-channel logout audit line %v: want sessions_ended 1", rec)
		}
		if status, _ := fetchApp(t, c, gw); status != http.StatusUnauthorized {
			t.Errorf("after Hydra's back-channel logout the session still works: status %d, want 401", status)
		}
	})
}

// TestHydraFrontChannelLogout: a logout started at Hydra renders Hydra's front-channel
// page, whose iframe calls the gateway's frontchannel_logout_uri (/logout) with iss and
// sid. The clients have no back-channel URI here, and the iframe is loaded without the
// browser's cookies (as a browser that keeps third-party cookies from iframes would),
// so the session can only end by its sid: with both stores, the browser's cookie gets
// 401 afterwards and the gateway logs the front-channel logout of a known sid.
func TestHydraFrontChannelLogout(t *testing.T) {
	h := startHydra(t)
	if d := getDiscovery(t, h.issuer+".well-known/openid-configuration"); !d.Frontchannel || !d.FrontchannelSession {
		t.Errorf("Hydra's discovery: frontchannel_logout_supported %v, frontchannel_logout_session_supported %v; want both", d.Frontchannel, d.FrontchannelSession)
	}
	bothStores(t, func(t *testing.T, env map[string]string) {
		gw, _ := hydraGateway(t, h, hydraClientOptions{frontchannel: true}, hydraPKCE, env)
		c := testenv.NewClient(t, true)
		wantIdentity(t, formSignInWith(t, c, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)

		end := followHydraLogout(t, h, c, h.issuer+"oauth2/sessions/logout")
		lrs := h.app.logoutRequests()
		if len(lrs) == 0 {
			t.Fatal("our app saw no logout request")
		}
		sid := lrs[len(lrs)-1].SID
		want := gw.URL + "/logout?" + url.Values{"iss": {h.issuer}, "sid": {sid}}.Encode()
		if len(end.iframes) != 1 || end.iframes[0] != want {
			t.Fatalf("Hydra's front-channel iframes %v, want [%s]", end.iframes, want)
		}
		if status, _ := fetchApp(t, c, gw); status != http.StatusOK {
			t.Fatalf("before the iframe loads the session should still work: status %d", status)
		}
		resp, body := testenv.Fetch(t, &http.Client{Timeout: 10 * time.Second}, end.iframes[0], nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the front-channel iframe: %d, want 200\n%s", resp.StatusCode, body)
		}
		rec := gw.WaitRecord(t, "front-channel logout", 5*time.Second, func(m map[string]any) bool { return m["sid"] == sid })
		if rec["known_sid"] != true {
			t.Errorf("front-channel logout audit line %v: want known_sid true", rec)
		}
		if status, _ := fetchApp(t, c, gw); status != http.StatusUnauthorized {
			t.Errorf("after Hydra's front-channel logout the session still works: status %d, want 401", status)
		}
		if end.redirect != h.app.URL+"/logged-out" {
			t.Errorf("Hydra's front-channel page then goes to %s, want its post-logout page", end.redirect)
		}
	})
}

// TestHydraBackChannelLogoutByAdmin: an administrator ends one login session at Hydra
// through its admin API (DELETE /admin/oauth2/auth/sessions/login?sid=), which sends
// back-channel logout tokens for that sid. Two browsers are signed in (two login
// sessions at Hydra, two gateway sessions): the first one's gateway session ends, the
// second one's keeps working.
func TestHydraBackChannelLogoutByAdmin(t *testing.T) {
	h := startHydra(t)
	gw, _ := hydraGateway(t, h, hydraClientOptions{backchannel: "gateway"}, hydraPKCE, nil)
	ended, kept := testenv.NewClient(t, true), testenv.NewClient(t, true)
	wantIdentity(t, formSignInWith(t, ended, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)
	sid := h.app.lastSession()
	wantIdentity(t, formSignInWith(t, kept, gw, hydraLogin), hydraUser, hydraEmail, hydraGroups)
	if sid == "" || sid == h.app.lastSession() {
		t.Fatalf("login sessions %q and %q: want two different ones", sid, h.app.lastSession())
	}

	q := url.Values{"sid": {sid}}
	hydraAdmin(t, http.MethodDelete, h.admin+"/admin/oauth2/auth/sessions/login?"+q.Encode(), nil, http.StatusNoContent, nil)
	gw.WaitRecord(t, "back-channel logout", 15*time.Second, func(m map[string]any) bool { return m["sid"] == sid })
	if status, _ := fetchApp(t, ended, gw); status != http.StatusUnauthorized {
		t.Errorf("the session of the login session the administrator ended: status %d, want 401", status)
	}
	if status, e := fetchApp(t, kept, gw); status != http.StatusOK {
		t.Errorf("the other login session's gateway session: status %d, want 200", status)
	} else {
		wantIdentity(t, e, hydraUser, hydraEmail, hydraGroups)
	}
}
