package doctor

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/testidp"
	"github.com/ssogate/ssogate/internal/testidp/idptest"
)

// idp serves a testidp with opts (Issuer filled in), each response passing through
// wrap when it is set, until the test ends.
func idp(t *testing.T, opts testidp.Options, wrap func(http.Handler) http.Handler) (*testidp.Provider, *http.Client) {
	t.Helper()
	if opts.Clients == nil {
		opts.Clients = []testidp.Client{{ID: "wandb", RedirectURIs: []string{"http://127.0.0.1:4180/oidc/callback"}}}
	}
	s := idptest.New(t, opts)
	s.Serve(wrap)
	return s.Provider, s.Client()
}

// load builds the configuration an operator would have with these variables set.
func load(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	env["DATA_DIR"] = t.TempDir()
	cfg, err := config.Load(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	return cfg
}

func run(t *testing.T, cfg config.Config, client *http.Client) []Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return Run(ctx, cfg, Options{Client: client, Now: time.Now})
}

// find returns the result called name, failing the test when there is none.
func find(t *testing.T, results []Result, name string) Result {
	t.Helper()
	for _, r := range results {
		if r.ID == name {
			return r
		}
	}
	t.Fatalf("no %q result in %+v", name, results)
	return Result{}
}

func names(results []Result) []string {
	var out []string
	for _, r := range results {
		out = append(out, r.ID)
	}
	return out
}

func TestRunPassesAGoodConfiguration(t *testing.T) {
	p, client := idp(t, testidp.Options{}, nil)
	for _, method := range []string{config.MethodPKCE, config.MethodImplicit} {
		for _, issuer := range []string{p.Issuer(), p.Issuer() + "/"} {
			t.Run(method+" "+issuer, func(t *testing.T) {
				cfg := load(t, map[string]string{"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "wandb", "OIDC_AUTH_METHOD": method})
				results := run(t, cfg, client)
				if got, want := names(results), []string{IDConfig, IDDiscovery, IDIssuer, IDMethod, IDSigningKeys, IDClock, IDGroups}; !slices.Equal(got, want) {
					t.Errorf("got checks %v, want %v", got, want)
				}
				for _, r := range results {
					if !r.OK() {
						t.Errorf("got %s failed: %s; want OK", r.Name, r.Detail)
					}
				}
			})
		}
	}
}

func TestRunExplainsADiscoveryTheIdPDoesNotServe(t *testing.T) {
	p, client := idp(t, testidp.Options{}, nil)
	issuer := p.Issuer() + "/oauth2/default"
	results := run(t, load(t, map[string]string{"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "wandb"}), client)
	d := find(t, results, "discovery")
	if d.Status != Fail {
		t.Fatalf("got discovery OK (%s), want it to fail", d.Detail)
	}
	for _, want := range []string{issuer + "/.well-known/openid-configuration", "HTTP 404", `OIDC_ISSUER="` + issuer + `"`, "extra path"} {
		if !strings.Contains(d.Detail, want) {
			t.Errorf("got detail %q, want it to contain %q", d.Detail, want)
		}
	}
}

func TestRunNamesTheIssuerTheIdPServes(t *testing.T) {
	cases := []struct {
		name      string
		discovery func(issuer string) string
	}{
		{"extra path at the IdP", func(iss string) string { return iss + "/realms/main" }},
		{"another host name", func(iss string) string { return strings.Replace(iss, "127.0.0.1", "localhost", 1) }},
		{"https at the IdP", func(iss string) string { return strings.Replace(iss, "http://", "https://", 1) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var served string
			p, client := idp(t, testidp.Options{DiscoveryHook: func(doc map[string]any) {
				served = c.discovery(doc["issuer"].(string))
				doc["issuer"] = served
			}}, nil)
			results := run(t, load(t, map[string]string{"OIDC_ISSUER": p.Issuer(), "OIDC_CLIENT_ID": "wandb"}), client)
			d := find(t, results, IDIssuer)
			if d.Status != Fail {
				t.Fatalf("got issuer %s (%s), want it to fail", d.Status, d.Detail)
			}
			for _, want := range []string{"OIDC_ISSUER", `set OIDC_ISSUER to exactly "` + served + `"`} {
				if !strings.Contains(d.Detail, want) {
					t.Errorf("got detail %q, want it to contain %q", d.Detail, want)
				}
			}
			for _, id := range []string{IDMethod, IDSigningKeys, IDClock} {
				if r := find(t, results, id); r.Status != Skipped || !strings.Contains(r.Detail, "issuer does not match") {
					t.Errorf("got %s %s (%s), want it skipped: it needs the IdP's discovery", id, r.Status, r.Detail)
				}
			}
		})
	}
}

// failingClient answers every request with an error, without any network.
func failingClient() *http.Client {
	return &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("no network in this test")
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRunRecognisesIssuersThatAreACommonMistake(t *testing.T) {
	cases := []struct {
		issuer string
		want   string // in the issuer form hint; "" means no hint
	}{
		{"https://mypool.auth.eu-west-1.amazoncognito.com", "https://cognito-idp.REGION.amazonaws.com/USER_POOL_ID"},
		{"https://login.mycompany.auth.us-east-1.amazoncognito.com/", "cognito-idp"},
		{"https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"},
		{"https://login.microsoftonline.com/", "https://login.microsoftonline.com/TENANT_ID/v2.0"},
		{"https://login.microsoftonline.com/contoso.onmicrosoft.com", "Set OIDC_ISSUER to the v2.0 issuer https://login.microsoftonline.com/TENANT_ID/v2.0"},
		{"https://login.microsoftonline.com/tenant/v2.0", ""},
		{"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC", ""},
		{"https://company.okta.com/oauth2/default", ""},
	}
	for _, c := range cases {
		t.Run(c.issuer, func(t *testing.T) {
			cfg := config.Config{Issuer: c.issuer, ClientID: "wandb", AuthMethod: config.MethodImplicit}
			results := run(t, cfg, failingClient())
			if c.want == "" {
				if slices.Contains(names(results), "issuer form") {
					t.Errorf("got an issuer form hint for a good issuer: %+v", results)
				}
				return
			}
			hint := find(t, results, "issuer form")
			if hint.Status != Fail || !strings.Contains(hint.Detail, c.want) {
				t.Errorf("got %+v, want a failed hint containing %q", hint, c.want)
			}
			if d := find(t, results, "discovery"); d.OK() {
				t.Errorf("got discovery OK through a failing client")
			}
		})
	}
}

func TestRunFindsAnAuthMethodTheIdPDoesNotOffer(t *testing.T) {
	cases := []struct {
		name   string
		opts   testidp.Options
		method string
		want   string
	}{
		{"implicit without form_post", testidp.Options{ResponseModes: []string{"query", "fragment"}}, config.MethodImplicit, `response mode "form_post"`},
		{"implicit without ID tokens", testidp.Options{ResponseTypes: []string{"code"}}, config.MethodImplicit, `response type "id_token"`},
		{"pkce without codes", testidp.Options{ResponseTypes: []string{"id_token"}}, config.MethodPKCE, `response type "code"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, client := idp(t, c.opts, nil)
			results := run(t, load(t, map[string]string{"OIDC_ISSUER": p.Issuer(), "OIDC_CLIENT_ID": "wandb", "OIDC_AUTH_METHOD": c.method}), client)
			if d := find(t, results, "discovery"); !d.OK() {
				t.Fatalf("got discovery failed: %s", d.Detail)
			}
			m := find(t, results, "auth method")
			if m.Status != Fail || !strings.Contains(m.Detail, "OIDC_AUTH_METHOD="+c.method) || !strings.Contains(m.Detail, c.want) {
				t.Errorf("got %+v, want a failure naming OIDC_AUTH_METHOD=%s and %s", m, c.method, c.want)
			}
		})
	}
}

func TestRunComparesTheClockWithTheIdPs(t *testing.T) {
	cases := []struct {
		name   string
		offset time.Duration
		wantOK bool
	}{
		{"10 minutes ahead", 10 * time.Minute, false},
		{"10 minutes behind", -10 * time.Minute, false},
		{"20 seconds ahead", 20 * time.Second, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			skewed := func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Date", time.Now().Add(c.offset).UTC().Format(http.TimeFormat))
					h.ServeHTTP(w, r)
				})
			}
			p, client := idp(t, testidp.Options{}, skewed)
			results := run(t, load(t, map[string]string{"OIDC_ISSUER": p.Issuer(), "OIDC_CLIENT_ID": "wandb"}), client)
			clock := find(t, results, "clock")
			if clock.OK() != c.wantOK {
				t.Fatalf("got clock OK=%v (%s), want %v", clock.OK(), clock.Detail, c.wantOK)
			}
			if !c.wantOK && (!strings.Contains(clock.Detail, "off the IdP's") || !strings.Contains(clock.Detail, "NTP")) {
				t.Errorf("got detail %q, want it to say how far off the clock is and to enable NTP", clock.Detail)
			}
		})
	}
}

func TestRunReportsAnUnreachableJWKSOnce(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/jwks"
	dead.Close()
	p, client := idp(t, testidp.Options{DiscoveryHook: func(doc map[string]any) { doc["jwks_uri"] = deadURL }}, nil)
	results := run(t, load(t, map[string]string{"OIDC_ISSUER": p.Issuer(), "OIDC_CLIENT_ID": "wandb"}), client)
	keys := find(t, results, "signing keys")
	if keys.Status != Fail || !strings.Contains(keys.Detail, deadURL) || !strings.Contains(keys.Detail, "jwks_uri") {
		t.Errorf("got %+v, want a failure naming %s and what to fix", keys, deadURL)
	}
	if clock := find(t, results, "clock"); !clock.OK() {
		t.Errorf("got clock failed (%s), want OK: the IdP itself answered with the right time", clock.Detail)
	}
}

func TestRunAdvisesALogoutURLWhenTheIdPHasNone(t *testing.T) {
	p, client := idp(t, testidp.Options{DiscoveryHook: func(doc map[string]any) { delete(doc, "end_session_endpoint") }}, nil)
	cases := []struct {
		name       string
		logoutURL  string
		wantResult bool
	}{
		{"no OIDC_LOGOUT_URL", "", true},
		{"OIDC_LOGOUT_URL set", "https://auth.example.com/logout?client_id={client_id}&logout_uri={post_logout_redirect_uri}", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"OIDC_ISSUER": p.Issuer(), "OIDC_CLIENT_ID": "wandb"}
			if c.logoutURL != "" {
				env["OIDC_LOGOUT_URL"] = c.logoutURL
			}
			results := run(t, load(t, env), client)
			if got := slices.Contains(names(results), "logout"); got != c.wantResult {
				t.Fatalf("got a logout result %v, want %v: %+v", got, c.wantResult, results)
			}
			if c.wantResult {
				if r := find(t, results, "logout"); !r.OK() || !strings.Contains(r.Detail, "OIDC_LOGOUT_URL") {
					t.Errorf("got %+v, want an OK note naming OIDC_LOGOUT_URL", r)
				}
			}
		})
	}
}

func TestRunSkipsTheClockWithoutADateHeader(t *testing.T) {
	noDate := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Date"] = nil // the server adds none
			h.ServeHTTP(w, r)
		})
	}
	p, client := idp(t, testidp.Options{}, noDate)
	results := run(t, load(t, map[string]string{"OIDC_ISSUER": p.Issuer(), "OIDC_CLIENT_ID": "wandb"}), client)
	clock := find(t, results, IDClock)
	if clock.Status != Skipped || !strings.Contains(clock.Detail, "no Date header") {
		t.Errorf("got clock %s (%s), want skipped for want of a Date header", clock.Status, clock.Detail)
	}
	if Failed(results) {
		t.Errorf("got a failure in %+v; a skipped clock check is not one", results)
	}
}
