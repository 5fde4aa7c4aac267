package ingress

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// seen is one request as the application received it.
type seen struct {
	Method string      `json:"method"`
	URI    string      `json:"uri"`
	Header http.Header `json:"header"` // names as Go's server keyed them
	Body   string      `json:"body"`
}

// identity returns the values of the headers whose names are name in any letter case
// and with "_" for "-", e.g. X_Auth_Request_User and x-auth-request-user for
// X-Auth-Request-User, keyed by the spelling that arrived.
func (s seen) identity(name string) map[string][]string {
	out := map[string][]string{}
	for k, v := range s.Header {
		if normalName(k) == normalName(name) {
			out[k] = v
		}
	}
	return out
}

// get is the single value of the canonical header name, and whether it is exactly one
// header with one value.
func (s seen) get(name string) (string, bool) {
	v := s.identity(name)
	if len(v) != 1 || len(s.Header[http.CanonicalHeaderKey(name)]) != 1 {
		return "", false
	}
	return s.Header[http.CanonicalHeaderKey(name)][0], true
}

// leaked returns every header under the X-Auth-Request- prefix, in any spelling, whose
// value is not empty: what an application might take for an identity.
func (s seen) leaked() map[string][]string {
	out := map[string][]string{}
	for k, v := range s.Header {
		if strings.HasPrefix(normalName(k), "x-auth-request-") && strings.Join(v, "") != "" {
			out[k] = v
		}
	}
	return out
}

func normalName(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// app is the application behind the ingress: it answers every request with what it
// received, as JSON, and remembers it.
type app struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func startApp(t *testing.T) *app {
	t.Helper()
	a := &app{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		s := seen{Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), Body: string(body)}
		a.mu.Lock()
		a.reqs = append(a.reqs, s)
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s)
	}))
	t.Cleanup(a.Close)
	return a
}

// count is how many requests the application has received.
func (a *app) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.reqs)
}

// last returns the last request the application received with this request URI, or
// fails the test.
func (a *app) last(t *testing.T, uri string) seen {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.reqs) - 1; i >= 0; i-- {
		if a.reqs[i].URI == uri {
			return a.reqs[i]
		}
	}
	t.Fatalf("the application received no request for %s (it received %d requests)", uri, len(a.reqs))
	return seen{}
}

// addr is the application's host:port.
func (a *app) addr() string { return strings.TrimPrefix(a.URL, "http://") }
