package doctor

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ssogate/ssogate/internal/testidp"
)

// TestProbeFollowsNoRedirectToAnotherHost: a discovery document may point jwks_uri at
// a URL that redirects to an internal address; the probe must not go there.
func TestProbeFollowsNoRedirectToAnotherHost(t *testing.T) {
	var internalHits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	defer internal.Close()
	p, client := idp(t, testidp.Options{DiscoveryHook: func(doc map[string]any) {
		doc["jwks_uri"] = doc["issuer"].(string) + "/jump"
	}}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/jump" {
				http.Redirect(w, r, internal.URL+"/metadata", http.StatusFound)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	r := find(t, run(t, load(t, map[string]string{"OIDC_ISSUER": p.Issuer(), "OIDC_CLIENT_ID": "wandb"}), client), IDSigningKeys)
	if r.Status != Fail || !strings.Contains(r.Detail, "another host") {
		t.Fatalf("signing keys = %s: %s; want a refused redirect", r.Status, r.Detail)
	}
	if n := internalHits.Load(); n != 0 {
		t.Fatalf("the other host was fetched %d times", n)
	}
}

// TestProbeShowsNoReplyBodyOfOtherEndpoints: an endpoint's reply may be an internal
// page; only its status is shown.
func TestProbeShowsNoReplyBodyOfOtherEndpoints(t *testing.T) {
	p, client := idp(t, testidp.Options{DiscoveryHook: func(doc map[string]any) {
		doc["jwks_uri"] = doc["issuer"].(string) + "/internal-page"
	}}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/internal-page" {
				http.Error(w, "db-password=hunter2 internal admin console", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	r := find(t, run(t, load(t, map[string]string{"OIDC_ISSUER": p.Issuer(), "OIDC_CLIENT_ID": "wandb"}), client), IDSigningKeys)
	if r.Status != Fail || !strings.Contains(r.Detail, "HTTP 403") {
		t.Fatalf("signing keys = %s: %s; want the status", r.Status, r.Detail)
	}
	if strings.Contains(r.Detail, "hunter2") || strings.Contains(r.Detail, "admin console") {
		t.Fatalf("the detail shows the endpoint's reply: %s", r.Detail)
	}
}

// TestProbeAsksARemoteIdPOverHTTPSOnly: for an issuer outside this machine, the
// issuer and the jwks_uri its discovery names must be https; loopback may be http.
func TestProbeAsksARemoteIdPOverHTTPSOnly(t *testing.T) {
	if got := httpsProblem("http://idp.example.com", "http://idp.example.com", "OIDC_ISSUER"); !strings.Contains(got, "https") {
		t.Errorf("http issuer: got %q, want an https problem", got)
	}
	if got := httpsProblem("https://idp.example.com", "http://10.0.0.5/keys", "jwks_uri"); !strings.Contains(got, "jwks_uri") {
		t.Errorf("http jwks_uri of a remote IdP: got %q, want a jwks_uri problem", got)
	}
	for _, ok := range [][2]string{{"https://idp.example.com", "https://idp.example.com/keys"},
		{"http://127.0.0.1:5556", "http://127.0.0.1:5556/keys"}, {"http://localhost:8080", "http://localhost:8080/keys"},
		{"http://[::1]:8080", "http://[::1]:8080/keys"}} {
		if got := httpsProblem(ok[0], ok[1], "jwks_uri"); got != "" {
			t.Errorf("httpsProblem(%q, %q) = %q, want none", ok[0], ok[1], got)
		}
	}
	// A plain-http remote OIDC_ISSUER never reaches the probe: config refuses it first.
}
