package oidcflow

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// completeAll runs tokens through f.Complete from workers goroutines and returns the
// reasons they were refused with, counted.
func completeAll(f *Flow, ls LoginState, tokens []string, workers int) map[string]int {
	var mu sync.Mutex
	reasons := map[string]int{}
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for tok := range jobs {
				_, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: tok})
				mu.Lock()
				reasons[Reason(err)]++
				mu.Unlock()
			}
		})
	}
	for _, tok := range tokens {
		jobs <- tok
	}
	close(jobs)
	wg.Wait()
	return reasons
}

func TestJWKSRefreshIsRateLimited(t *testing.T) {
	env := startIdP(t, nil)
	var onFetch atomic.Int64
	o := env.options(MethodImplicit)
	o.JWKSMinRefresh = 30 * time.Second
	o.OnJWKSFetch = func(error) { onFetch.Add(1) }
	f := newFlow(t, o)
	ls, _ := f.Start("/", redirectURI)
	wantFetches := func(step string, want int64) {
		t.Helper()
		if got := env.idp.JWKSFetches(); got != want {
			t.Fatalf("%s: IdP served the JWKS %d times, want %d", step, got, want)
		}
		if got := onFetch.Load(); got != want {
			t.Errorf("%s: OnJWKSFetch called %d times, want %d", step, got, want)
		}
	}
	wantFetches("after New", 1)

	forger := newSigner(t, jose.RS256, "")
	forged := make([]string, 200)
	for i := range forged {
		forged[i] = forger.sign(t, env.idTokenClaims(ls), fmt.Sprintf("kid-%d-%s", i, randomString(6)))
	}
	if got := completeAll(f, ls, forged, 20); got["unknown_key"] != len(forged) {
		t.Fatalf("reasons for forged tokens within the window = %v, want all %d unknown_key", got, len(forged))
	}
	wantFetches("flood within the window of the first fetch", 1)

	env.clock.Advance(31 * time.Second)
	if got := completeAll(f, ls, forged, 20); got["unknown_key"] != len(forged) {
		t.Fatalf("reasons for forged tokens after the window = %v, want all %d unknown_key", got, len(forged))
	}
	wantFetches("flood after the window", 2)

	// The IdP rotates its key just after the flood: its tokens wait for the window.
	if err := env.idp.RotateKey(); err != nil {
		t.Fatal(err)
	}
	rotated := env.sign(t, env.idTokenClaims(ls))
	if _, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: rotated}); Reason(err) != "unknown_key" {
		t.Fatalf("rotated key within the window: Complete = %v, want unknown_key", err)
	}
	wantFetches("rotated key within the window", 2)

	env.clock.Advance(31 * time.Second)
	if _, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: rotated}); err != nil {
		t.Fatalf("rotated key after the window: Complete: %v", err)
	}
	wantFetches("rotated key after the window", 3)
	if _, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: env.sign(t, env.idTokenClaims(ls))}); err != nil {
		t.Fatalf("second token of the rotated key: Complete: %v", err)
	}
	wantFetches("second token of the rotated key", 3)
}

func TestKeySetConcurrentFirstUseSharesOneFetch(t *testing.T) {
	key := newSigner(t, jose.ES256, "k1")
	release := make(chan struct{})
	idp, entered := blockingJWKS(t, release, key.jwk())
	ks := NewKeySet(idp.base+"/jwks", idp.client, newClock().Now, 30*time.Second, nil)
	tok := key.sign(t, map[string]any{"sub": "x"}, "")

	var started sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		started.Add(1)
		go func() {
			started.Done()
			_, err := ks.VerifySignature(context.Background(), tok)
			errs <- err
		}()
	}
	started.Wait()
	waitFor(t, entered, "the JWKS fetch")
	close(release)
	for range 20 {
		if err := <-errs; err != nil {
			t.Errorf("VerifySignature: %v", err)
		}
	}
	if got := idp.jwksFetches.Load(); got != 1 {
		t.Errorf("JWKS fetched %d times by 20 concurrent first uses, want 1", got)
	}
}

func TestKeySetCallerGivingUpDoesNotFailOthers(t *testing.T) {
	key := newSigner(t, jose.RS256, "k1")
	release := make(chan struct{})
	idp, entered := blockingJWKS(t, release, key.jwk())
	ks := NewKeySet(idp.base+"/jwks", idp.client, newClock().Now, 30*time.Second, nil)
	tok := key.sign(t, map[string]any{"sub": "x"}, "")

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := ks.VerifySignature(ctx, tok); first <- err }()
	waitFor(t, entered, "the JWKS fetch")
	second := make(chan error, 1)
	go func() { _, err := ks.VerifySignature(context.Background(), tok); second <- err }()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("caller that gave up: VerifySignature = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Errorf("caller still waiting: VerifySignature = %v, want success", err)
	}
	if got := idp.jwksFetches.Load(); got != 1 {
		t.Errorf("JWKS fetched %d times, want 1", got)
	}
}

func TestKeySetRefusesForgeriesWithoutAsking(t *testing.T) {
	key := newSigner(t, jose.RS256, "k1")
	idp := startFakeIdP(t, "", func(f *fakeIdP) http.Handler { return f.jwksHandler(key.jwk()) })
	ks := NewKeySet(idp.base+"/jwks", idp.client, newClock().Now, 30*time.Second, nil)
	if err := ks.Prefetch(context.Background()); err != nil {
		t.Fatalf("Prefetch: %v", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.pub)
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"sub": "x"}
	for _, tc := range []struct {
		name, token string
		want        error // nil: any error
	}{
		{"alg none", forgedToken(t, map[string]any{"alg": "none", "kid": "k1"}, claims, nil), nil},
		{"HS256 keyed with the public key", forgedToken(t, map[string]any{"alg": "HS256", "kid": "k1"}, claims, pubDER), nil},
		{"another key under the kid", newSigner(t, jose.RS256, "k1").sign(t, claims, ""), nil},
		{"unknown kid", newSigner(t, jose.ES256, "k2").sign(t, claims, ""), ErrUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ks.VerifySignature(context.Background(), tc.token)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("VerifySignature = %v, want a refusal (%v)", err, tc.want)
			}
		})
	}
	if got := idp.jwksFetches.Load(); got != 1 {
		t.Errorf("JWKS fetched %d times, want only the prefetch", got)
	}
}

func TestKeySetKeys(t *testing.T) {
	sig1, sig2 := newSigner(t, jose.RS256, "sig1"), newSigner(t, jose.EdDSA, "sig2")
	enc := sig1.jwk()
	enc.KeyID, enc.Use = "enc1", "enc"
	noUse := sig2.jwk()
	noUse.Use = ""
	for _, tc := range []struct {
		name    string
		keys    []jose.JSONWebKey
		signer  *signer
		kid     string // in the token; "-" for none
		wantErr string // "" means the token verifies
	}{
		{"use sig", []jose.JSONWebKey{sig1.jwk(), sig2.jwk()}, sig2, "", ""},
		{"no use given", []jose.JSONWebKey{noUse}, sig2, "", ""},
		{"token without kid", []jose.JSONWebKey{sig1.jwk(), sig2.jwk()}, sig1, "-", ""},
		{"encryption key only", []jose.JSONWebKey{enc}, sig1, "enc1", "no signing keys"},
		{"encryption key is not used to verify", []jose.JSONWebKey{enc, sig2.jwk()}, sig1, "enc1", ErrUnknownKey.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp := startFakeIdP(t, "", func(f *fakeIdP) http.Handler { return f.jwksHandler(tc.keys...) })
			ks := NewKeySet(idp.base+"/jwks", idp.client, newClock().Now, 30*time.Second, nil)
			tok := tc.signer.sign(t, map[string]any{"sub": "x"}, tc.kid)
			if tc.kid == "-" {
				tok = signWithoutKid(t, tc.signer, map[string]any{"sub": "x"})
			}
			payload, err := ks.VerifySignature(context.Background(), tok)
			if tc.wantErr == "" {
				if err != nil || !strings.Contains(string(payload), `"sub":"x"`) {
					t.Fatalf("VerifySignature = %s, %v; want the payload", payload, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("VerifySignature = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func signWithoutKid(t *testing.T, s *signer, claims map[string]any) string {
	t.Helper()
	bare := *s
	bare.kid = ""
	tok := bare.sign(t, claims, "")
	if headerField(tok, "kid") != "" {
		t.Fatalf("token %s has a kid", tok)
	}
	return tok
}

func TestKeySetFailingIdPIsNotHammered(t *testing.T) {
	key := newSigner(t, jose.RS256, "k1")
	var up atomic.Bool
	idp := startFakeIdP(t, "", func(f *fakeIdP) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !up.Load() {
				f.jwksFetches.Add(1)
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
			f.jwksHandler(key.jwk())(w, r)
		})
	})
	clk := newClock()
	fetched := make(chan error, 8)
	ks := NewKeySet(idp.base+"/jwks", idp.client, clk.Now, 30*time.Second, func(err error) { fetched <- err })
	tok := key.sign(t, map[string]any{"sub": "x"}, "")
	for i := range 3 {
		_, err := ks.VerifySignature(context.Background(), tok)
		if err == nil || !strings.Contains(err.Error(), "JWKS unavailable") {
			t.Fatalf("attempt %d while the JWKS is down: VerifySignature = %v, want JWKS unavailable", i, err)
		}
	}
	if got := idp.jwksFetches.Load(); got != 1 {
		t.Fatalf("JWKS fetched %d times in the window, want 1", got)
	}
	select {
	case err := <-fetched:
		if err == nil || !strings.Contains(err.Error(), "HTTP 503: maintenance") {
			t.Errorf("OnJWKSFetch got %v, want the HTTP 503", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnJWKSFetch was not called")
	}
	up.Store(true)
	clk.Advance(30 * time.Second)
	if _, err := ks.VerifySignature(context.Background(), tok); err != nil {
		t.Fatalf("after the window with the JWKS back: VerifySignature = %v", err)
	}
	if got := idp.jwksFetches.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times, want 2", got)
	}
}

// TestKeyRotationRightAfterRefreshWaits: the IdP rotates its key just after a JWKS
// fetch. A sign-in with the new kid waits for the rest of the 5 s window, then the one
// permitted fetch finds the key; a bearer token does not wait; a flood of forged kids
// through sign-ins still costs one fetch per window.
func TestKeyRotationRightAfterRefreshWaits(t *testing.T) {
	env := startIdP(t, nil)
	f := newFlow(t, env.options(MethodImplicit))
	// Waiting moves the test's clock to the end of the wait (never back), as the time
	// all concurrent waiters sleep through together.
	var mu sync.Mutex
	var waits []time.Duration
	f.keys.after = func(d time.Duration) <-chan time.Time {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		if end := env.clock.Now().Add(d); end.After(env.clock.Now()) {
			env.clock.Set(end)
		}
		c := make(chan time.Time, 1)
		c <- env.clock.Now()
		return c
	}
	ls, _ := f.Start("/", redirectURI)
	if got := env.idp.JWKSFetches(); got != 1 {
		t.Fatalf("after New: %d JWKS fetches, want 1", got)
	}
	env.clock.Advance(time.Second)
	if err := env.idp.RotateKey(); err != nil {
		t.Fatal(err)
	}
	rotated := env.sign(t, env.idTokenClaims(ls))

	if _, err := f.VerifyBearer(context.Background(), rotated); Reason(err) != "unknown_key" {
		t.Errorf("bearer token with the new kid inside the window: %v, want unknown_key at once", err)
	}
	if len(waits) != 0 {
		t.Errorf("a bearer token waited %v, want no wait", waits)
	}
	if _, err := f.Complete(context.Background(), ls, Callback{State: ls.State, IDToken: rotated}); err != nil {
		t.Fatalf("sign-in with the rotated key 1 s after a fetch: %v", err)
	}
	if len(waits) != 1 || waits[0] != 4*time.Second {
		t.Errorf("the sign-in waited %v, want once for the 4 s left of the 5 s window", waits)
	}
	if got := env.idp.JWKSFetches(); got != 2 {
		t.Errorf("after the rotation: %d JWKS fetches, want 2", got)
	}

	waits = nil
	start, before := env.clock.Now(), env.idp.JWKSFetches()
	forger := newSigner(t, jose.RS256, "")
	forged := make([]string, 100)
	for i := range forged {
		forged[i] = forger.sign(t, env.idTokenClaims(ls), fmt.Sprintf("forged-%d", i))
	}
	if got := completeAll(f, ls, forged, 10); got["unknown_key"] != len(forged) {
		t.Fatalf("forged kids: reasons %v, want all %d unknown_key", got, len(forged))
	}
	elapsed := env.clock.Now().Sub(start)
	if got, limit := env.idp.JWKSFetches()-before, int64(elapsed/(5*time.Second))+1; got > limit {
		t.Errorf("100 forged kids over %v: %d JWKS fetches, want at most one per 5 s (%d)", elapsed, got, limit)
	}
	for _, w := range waits {
		if w > MaxKeyRotationWait {
			t.Errorf("a forged kid waited %v, more than %v", w, MaxKeyRotationWait)
		}
	}
}
