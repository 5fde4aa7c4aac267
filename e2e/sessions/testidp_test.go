package sessions

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/internal/testidp"
	"github.com/ssogate/ssogate/internal/testidp/idptest"
)

// countingIdP serves internal/testidp in this process and records the status of
// every refresh_token grant at its token endpoint.
type countingIdP struct {
	*testidp.Provider
	srv *httptest.Server

	mu        sync.Mutex
	refreshes []int // status of each refresh grant, in order
}

// startTestIdP starts testidp with its demo users and one public client whose
// redirect URI is redirectURI.
func startTestIdP(t *testing.T, redirectURI string) *countingIdP {
	t.Helper()
	s := idptest.New(t, testidp.Options{Users: testidp.DemoUsers(),
		Clients: []testidp.Client{{ID: clientID, RedirectURIs: []string{redirectURI}}}})
	c := &countingIdP{Provider: s.Provider, srv: s.HTTP}
	s.Serve(func(http.Handler) http.Handler { return http.HandlerFunc(c.serve) })
	return c
}

func (c *countingIdP) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/token") {
		c.Provider.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	if form.Get("grant_type") != "refresh_token" {
		c.Provider.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	c.Provider.ServeHTTP(rec, r)
	c.mu.Lock()
	c.refreshes = append(c.refreshes, rec.status)
	c.mu.Unlock()
}

// refreshGrants returns the status of every refresh grant so far.
func (c *countingIdP) refreshGrants() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.refreshes...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// signInHTTP signs user in at gw without a browser: the gateway sends the client to
// testidp's form, the client posts the user's name and password with the form's
// hidden fields, and follows the redirects back through the callback. It returns the
// Cookie header of the session.
func signInHTTP(t *testing.T, gw *testenv.Gateway, user string) string {
	t.Helper()
	client := testenv.NewClient(t, true)
	resp, page := testenv.TestIdPLogin(t, client, gw.URL+"/app", user, user, "login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="echo"`) {
		t.Fatalf("after the sign-in form: status %d, not the upstream page\n%s\n--- gateway log ---\n%s", resp.StatusCode, page, gw.Logs())
	}
	return jarSession(t, client, gw)
}

// jarSession returns the Cookie header of the ssogate session client's jar holds
// for gw.
func jarSession(t *testing.T, client *http.Client, gw *testenv.Gateway) string {
	t.Helper()
	u, _ := url.Parse(gw.URL)
	for _, c := range client.Jar.Cookies(u) {
		if c.Name == "ssogate" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("no ssogate cookie after signing in at %s", gw.URL)
	return ""
}

// fetchStatus GETs rawURL with cookie and returns the status; it is safe to call from
// several goroutines.
func fetchStatus(rawURL, cookie string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", acceptJSON)
	req.Header.Set("Cookie", cookie)
	resp, err := noRedirects().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
