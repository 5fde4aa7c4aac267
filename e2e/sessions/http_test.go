package sessions

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// acceptJSON is the Accept header of an API client.
const acceptJSON = "application/json"

// reply is a response read whole.
type reply struct {
	status int
	header http.Header
	body   string
}

// noRedirects is a client that shows each response as it is, redirects included.
func noRedirects() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// get sends GET url with the Cookie header cookie (none when empty) and Accept
// accept, follows no redirect, and returns the response.
func get(t *testing.T, rawURL, cookie, accept string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	req.Header.Set("Accept", accept)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	return do(t, noRedirects(), req)
}

// do sends req with client and reads the whole response.
func do(t *testing.T, client *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read the body: %v", req.Method, req.URL, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// jsonBody decodes the reply's body as a JSON object, or fails the test.
func (r reply) jsonBody(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("the body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// wantUpstream checks that an API request to gw with cookie reached the upstream as user.
func wantUpstream(t *testing.T, gw *testenv.Gateway, cookie, user string) echoed {
	t.Helper()
	r := get(t, gw.URL+"/api/runs", cookie, acceptJSON)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s/api/runs with the session cookie: status %d, want 200\n%s\n--- gateway log ---\n%s",
			gw.URL, r.status, r.body, gw.Logs())
	}
	var e echoed
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("the upstream's answer is not JSON: %v\n%s", err, r.body)
	}
	if e.User != user {
		t.Errorf("GET %s/api/runs: the upstream got user %q, want %q", gw.URL, e.User, user)
	}
	return e
}

// wantUnauthenticated checks that an API request to gw with cookie gets the 401 JSON
// answer of a request without a session.
func wantUnauthenticated(t *testing.T, gw *testenv.Gateway, cookie string) {
	t.Helper()
	r := get(t, gw.URL+"/api/runs", cookie, acceptJSON)
	if r.status != http.StatusUnauthorized {
		t.Fatalf("GET %s/api/runs with the old cookie: status %d, want 401\n%s", gw.URL, r.status, r.body)
	}
	if got := r.jsonBody(t)["error"]; got != "unauthenticated" {
		t.Errorf("GET %s/api/runs with the old cookie: error %v, want \"unauthenticated\"", gw.URL, got)
	}
}
