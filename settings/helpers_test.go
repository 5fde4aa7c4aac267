package settings

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/csrf"
	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/internal/testidp"
	"github.com/ssogate/ssogate/internal/testidp/idptest"
	"github.com/ssogate/ssogate/web"
)

// envSecret is the client secret the environment gives; it must never be shown.
const envSecret = "env-secret-3f9a1c77"

// admin is the signed-in identity the gateway puts in the context.
var admin = claims.Identity{Subject: "sub-alice", Username: "alice", Role: claims.RoleAdmin, AMR: []string{claims.AMRSSO}}

// startIdP runs a testidp provider on loopback and returns its issuer; mod may change
// its options first.
func startIdP(t *testing.T, mod func(*testidp.Options)) string {
	t.Helper()
	opts := testidp.Options{
		Users:   testidp.DemoUsers(),
		Clients: []testidp.Client{{ID: "gateway", RedirectURIs: []string{"http://127.0.0.1/oidc/callback"}}},
	}
	if mod != nil {
		mod(&opts)
	}
	return idptest.Start(t, opts).Issuer()
}

// closedIssuer is an issuer on a loopback port nothing listens on.
func closedIssuer(t *testing.T) string {
	t.Helper()
	return "http://" + testenv.FreeAddr(t)
}

// notFoundIssuer is a loopback server that answers 404 to everything.
func notFoundIssuer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// fixture is a Handler over a temporary DATA_DIR and a fake environment.
type fixture struct {
	h        *Handler
	dir      string
	logs     *bytes.Buffer
	mu       sync.Mutex
	applied  []config.Config
	applyErr error
}

// newFixture builds a Handler whose environment is env (plus DATA_DIR); saved, when
// not nil, is written to settings.json before the live configuration is loaded.
func newFixture(t *testing.T, env map[string]string, saved config.Saved) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), logs: &bytes.Buffer{}}
	env["DATA_DIR"] = f.dir
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if saved != nil {
		if err := config.WriteSaved(f.dir, saved); err != nil {
			t.Fatal(err)
		}
	}
	live, _ := config.Load(nil, lookup) // unrelated settings may be missing in a test
	renderer, err := web.New()
	if err != nil {
		t.Fatal(err)
	}
	f.h, err = New(Options{
		Live: config.NewManager(live, func(_ context.Context, cfg config.Config) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.applied = append(f.applied, cfg)
			return f.applyErr
		}),
		Load:       func(s config.Saved) (config.Config, error) { return config.LoadWithSaved(nil, lookup, s) },
		DataDir:    f.dir,
		Sealer:     testSealer(t),
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Renderer:   renderer,
		Logger:     slog.New(slog.NewJSONHandler(f.logs, nil)),
		CSRF:       csrf.New(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// goodEnv is an environment naming issuer, with a client secret.
func goodEnv(issuer string) map[string]string {
	return map[string]string{"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "gateway", "OIDC_CLIENT_SECRET": envSecret}
}

var tokenField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// get requests the page as id (none when nil).
func (f *fixture) get(t *testing.T, id *claims.Identity) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://gw.example/oidc/settings", nil)
	if id != nil {
		r = r.WithContext(claims.NewContext(r.Context(), *id))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

// post submits the form as admin with action and values, as the browser would.
func (f *fixture) post(t *testing.T, action string, values map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	return f.postWith(t, action, values, false, map[string]string{"Sec-Fetch-Site": "same-origin"})
}

// postWith submits the form as admin with the CSRF cookie a GET gave, the token too
// unless noToken, and headers.
func (f *fixture) postWith(t *testing.T, action string, values map[string]string, noToken bool, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	page := f.get(t, &admin)
	m := tokenField.FindStringSubmatch(page.Body.String())
	cookies := page.Result().Cookies()
	if m == nil || len(cookies) != 1 {
		t.Fatalf("GET: got token %v and %d cookies, want a token and its cookie", m, len(cookies))
	}
	form := url.Values{"action": {action}}
	if !noToken {
		form.Set("csrf_token", m[1])
	}
	for k, v := range values {
		form.Set(k, v)
	}
	r := httptest.NewRequest(http.MethodPost, "http://gw.example/oidc/settings", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	r.AddCookie(&http.Cookie{Name: cookies[0].Name, Value: cookies[0].Value})
	r = r.WithContext(claims.NewContext(r.Context(), admin))
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

// appliedConfigs returns the configurations Apply received.
func (f *fixture) appliedConfigs() []config.Config {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]config.Config(nil), f.applied...)
}

var checkLine = regexp.MustCompile(`<li class="check (pass|fail|skipped)"><span class="badge">[^<]*</span> <span class="check-name">([^<]+)</span>`)

// checksOf returns each check's name and whether it passed, as the page shows them.
func checksOf(body string) map[string]bool {
	out := map[string]bool{}
	for _, m := range checkLine.FindAllStringSubmatch(body, -1) {
		out[m[2]] = m[1] == "pass"
	}
	return out
}

// testSealer seals the client secret in settings.json under a fixed test cookie secret.
func testSealer(t *testing.T) *config.Sealer {
	t.Helper()
	sl, err := config.NewSealer([]byte("a test cookie secret of 32 bytes!"))
	if err != nil {
		t.Fatal(err)
	}
	return sl
}
