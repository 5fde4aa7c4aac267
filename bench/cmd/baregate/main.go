// Command baregate is the forward-auth baseline: a bare Go handler that answers every
// request 200 with a few identity headers, without looking at anything. It is the
// fastest an auth check over HTTP on this machine can be.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18083", "listen address (loopback)")
	flag.Parse()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Auth-Request-User", "bench")
		w.Header().Set("X-Auth-Request-Email", "bench@example.com")
		w.WriteHeader(http.StatusOK)
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
