// Command echo is the benchmark's upstream application: every request gets the same
// small JSON body (about 200 bytes), so the numbers measure what sits in front of it.
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
	"time"
)

// body is what every request receives: about 200 bytes, like a small API answer.
const body = `{"status":"ok","service":"bench-echo","message":"this body stands in for a small JSON answer of the application behind the gateway","items":[1,2,3,4,5,6,7,8],"padding":"0123456789abcdef0123456789"}` + "\n"

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address (loopback)")
	flag.Parse()
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write([]byte(body))
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
