// Command fakegateway stands in for the gateway binary in testenv's own tests: it serves
// /healthz and /readyz on OPS_ADDR and its environment as JSON on LISTEN_ADDR, and exits on
// SIGTERM. With the argument "fail" it prints a configuration error and exits with status 3.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		fmt.Println("configuration error: OIDC_ISSUER is required")
		os.Exit(3)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()

	ops := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }
	ops.HandleFunc("/healthz", ok)
	ops.HandleFunc("/readyz", ok)
	public := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(os.Environ())
	})
	for _, srv := range []*http.Server{
		{Addr: os.Getenv("OPS_ADDR"), Handler: ops},
		{Addr: os.Getenv("LISTEN_ADDR"), Handler: public},
	} {
		go func() {
			if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				fmt.Fprintln(os.Stderr, "listen:", err)
				os.Exit(1)
			}
		}()
	}
	fmt.Println("fakegateway listening on", os.Getenv("LISTEN_ADDR"))
	<-ctx.Done()
	fmt.Println("fakegateway stopping")
}
