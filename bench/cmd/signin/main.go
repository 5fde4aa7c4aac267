// Command signin performs complete scripted sign-ins, as a browser would: it starts a
// sign-in at the gateway, follows the redirect to the IdP's login form, submits it,
// follows the IdP's answer (a redirect with a code, or a self-submitting form_post
// page with the ID token) back to the gateway's callback, and stops when the gateway
// sets its session cookie.
//
//	signin -kind ssogate -gateway http://127.0.0.1:18090 -user bench5
//	    one sign-in; prints the session's Cookie header value
//	signin -kind oauth2-proxy -gateway … -user bench5 -duration 10s -c 8
//	    sign-ins with 8 workers for 10 s; prints "signins_per_sec R count N seconds S"
//
// Every browser is new (its own cookie jar); connections are reused. Any failed
// sign-in stops the run with a non-zero exit status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	kind := flag.String("kind", "ssogate", "the gateway: ssogate or oauth2-proxy")
	gateway := flag.String("gateway", "", "the gateway's base URL, e.g. http://127.0.0.1:18090")
	user := flag.String("user", "bench5", "user name at the IdP (the password is the same)")
	duration := flag.Duration("duration", 0, "run sign-ins for this long (0: one sign-in, print its cookie)")
	workers := flag.Int("c", 4, "concurrent sign-ins with -duration")
	limit := flag.Int("max", 1_000_000, "stop after this many sign-ins with -duration")
	flag.Parse()

	b, err := newBrowser(*kind, *gateway, *user, 2**workers)
	if err != nil {
		fmt.Fprintln(os.Stderr, "signin:", err)
		os.Exit(2)
	}
	if *duration <= 0 {
		cookie, err := b.signIn(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "signin:", err)
			os.Exit(1)
		}
		fmt.Println(cookie)
		return
	}
	n, elapsed, err := run(b, *workers, *limit, *duration)
	if err != nil {
		fmt.Fprintf(os.Stderr, "signin: after %d sign-ins: %v\n", n, err)
		os.Exit(1)
	}
	fmt.Printf("signins_per_sec %.1f count %d seconds %.2f\n", float64(n)/elapsed.Seconds(), n, elapsed.Seconds())
}

// run signs in with the given number of workers until d has passed or limit sign-ins
// were done. It returns the number of completed sign-ins and the time they took; the
// first failure stops every worker.
func run(b *browser, workers, limit int, d time.Duration) (int64, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var (
		claimed, done atomic.Int64
		once          sync.Once
		firstErr      error
		wg            sync.WaitGroup
	)
	start := time.Now()
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && claimed.Add(1) <= int64(limit) {
				if _, err := b.signIn(ctx); err != nil {
					if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
						return // the run's time is up mid-sign-in; not a failure
					}
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return done.Load(), time.Since(start), firstErr
}
