package clientip

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
)

func TestFrom(t *testing.T) {
	cases := []struct {
		name, remote, xff string
		trusted           []string
		want              string
	}{
		{"peer without middleware", "192.0.2.7:5555", "", nil, "192.0.2.7"},
		{"forwarded by a trusted proxy", "127.0.0.1:5555", "198.51.100.9", []string{"127.0.0.1/32"}, "198.51.100.9"},
		{"forwarded by an untrusted peer", "192.0.2.7:5555", "198.51.100.9", []string{"127.0.0.1/32"}, "192.0.2.7"},
		{"peer address without a port", "192.0.2.7", "", nil, "192.0.2.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.remote
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			var got string
			h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = From(r) })
			if c.trusted != nil {
				middleware.ClientIPFromXFF(c.trusted...)(h).ServeHTTP(httptest.NewRecorder(), r)
			} else {
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
