package h1

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkRoundTrip is one GET after another over a kept-alive loopback
// connection, with Transport and with net/http's Transport it stands in for; the
// server shares the machine, as an upstream next to the gateway does.
func BenchmarkRoundTrip(b *testing.B) {
	body := make([]byte, 200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	std := &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}
	defer std.CloseIdleConnections()
	ours := New(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}, std, 1024, time.Minute)
	defer ours.CloseIdleConnections()
	for _, rt := range []struct {
		name string
		rt   http.RoundTripper
	}{{"h1", ours}, {"net-http", std}} {
		b.Run(rt.name, func(b *testing.B) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := rt.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, res.Body); err != nil || n != int64(len(body)) {
					b.Fatalf("body: %d bytes, %v", n, err)
				}
				res.Body.Close()
			}
		})
	}
}
