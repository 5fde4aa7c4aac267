package oidcflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/ssogate/ssogate/internal/tracing"
)

// KeySet verifies JWS signatures against an IdP's JWKS. Unlike oidc.RemoteKeySet it
// refetches the JWKS on an unknown kid at most once per MinRefresh, so a flood of
// forged tokens with made-up kids costs the IdP at most one request per interval.
// Concurrent callers share one fetch. A caller whose context allows it (a sign-in
// callback, a logout token: WithKeyRotationWait) and whose kid is unknown inside the
// interval waits for the next permitted fetch, at most MaxKeyRotationWait, instead of
// failing: a key rotated just after a fetch fails no sign-in.
type KeySet struct {
	url        string
	client     *http.Client
	now        func() time.Time
	minRefresh time.Duration
	onFetch    func(error)
	// after is time.After; tests replace it to move their clock instead of sleeping.
	after func(time.Duration) <-chan time.Time

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	lastFetch time.Time
	inflight  chan struct{} // closed when the running fetch ends
	fetchErr  error
}

var _ oidc.KeySet = (*KeySet)(nil)

// errJWKSUnavailable starts the error of a signature check for which no keys could be
// loaded; verifyReason recognises it.
const errJWKSUnavailable = "JWKS unavailable"

// ErrUnknownKey is a token signed with a key the IdP does not publish.
var ErrUnknownKey = errors.New("oidcflow: token signed with a key the IdP does not publish")

// MaxKeyRotationWait bounds how long a verification waits for the next permitted JWKS
// fetch when its kid is unknown.
const MaxKeyRotationWait = 5 * time.Second

type keyWaitKey struct{}

// WithKeyRotationWait returns ctx with permission to wait, at most
// MaxKeyRotationWait, for the next permitted JWKS fetch when a token's kid is unknown.
func WithKeyRotationWait(ctx context.Context) context.Context {
	return context.WithValue(ctx, keyWaitKey{}, true)
}

func keyRotationWaitAllowed(ctx context.Context) bool {
	ok, _ := ctx.Value(keyWaitKey{}).(bool)
	return ok
}

// NewKeySet returns a KeySet for jwksURL. onFetch, if set, is called after every fetch.
func NewKeySet(jwksURL string, client *http.Client, now func() time.Time, minRefresh time.Duration, onFetch func(error)) *KeySet {
	return &KeySet{url: jwksURL, client: client, now: now, minRefresh: minRefresh, onFetch: onFetch, after: time.After}
}

// VerifySignature checks jwt's signature and returns its payload.
func (k *KeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, asymmetricAlgs())
	if err != nil {
		return nil, fmt.Errorf("malformed JWS: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("JWS must have exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, err := k.keysFor(ctx, kid)
	if err != nil {
		return nil, err
	}
	for _, key := range keys {
		if kid != "" && key.KeyID != kid {
			continue
		}
		if payload, err := jws.Verify(&key); err == nil {
			return payload, nil
		}
	}
	return nil, errors.New("signature does not verify with the IdP's keys")
}

// keysFor returns the cached keys, refetching first when kid is unknown and the
// last fetch is older than minRefresh. Inside that interval it fails with
// ErrUnknownKey, or, when ctx allows (WithKeyRotationWait) and the interval ends
// within MaxKeyRotationWait, waits for its end once and tries again.
func (k *KeySet) keysFor(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	for waited := false; ; waited = true {
		k.mu.Lock()
		if hasKid(k.keys, kid) {
			keys := k.keys
			k.mu.Unlock()
			return keys, nil
		}
		early := time.Duration(0)
		if k.inflight == nil && !k.lastFetch.IsZero() {
			early = k.minRefresh - k.now().Sub(k.lastFetch)
		}
		if early <= 0 {
			return k.fetchAndFind(ctx, kid) // unlocks k.mu
		}
		empty := len(k.keys) == 0
		k.mu.Unlock()
		switch {
		case empty:
			return nil, fmt.Errorf("%s: %w", errJWKSUnavailable, k.fetchErr)
		case waited || early > MaxKeyRotationWait || !keyRotationWaitAllowed(ctx):
			return nil, ErrUnknownKey
		}
		select {
		case <-k.after(early):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// fetchAndFind joins the running fetch or starts one, waits for it and looks kid up
// in the result. k.mu must be held; it is released.
func (k *KeySet) fetchAndFind(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	wait := k.inflight
	if wait == nil {
		wait = make(chan struct{})
		k.inflight = wait
		k.lastFetch = k.now()
		go k.fetch(wait)
	}
	k.mu.Unlock()

	select {
	case <-wait:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fetchErr != nil && len(k.keys) == 0 {
		return nil, fmt.Errorf("%s: %w", errJWKSUnavailable, k.fetchErr)
	}
	if !hasKid(k.keys, kid) {
		return nil, ErrUnknownKey
	}
	return k.keys, nil
}

// fetch loads the JWKS on its own context, so one caller giving up does not fail the
// others. onFetch runs before the waiters wake, so a caller that saw the fetch end
// also sees it counted.
func (k *KeySet) fetch(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	keys, err := k.download(ctx)
	k.mu.Lock()
	if err == nil {
		k.keys = keys
	}
	k.fetchErr = err
	k.inflight = nil
	k.mu.Unlock()
	if k.onFetch != nil {
		k.onFetch(err)
	}
	close(done)
}

func (k *KeySet) download(ctx context.Context) ([]jose.JSONWebKey, error) {
	body, err := getJSON(tracing.IdPCall(ctx, tracing.IdPJWKS), k.client, k.url)
	if err != nil {
		return nil, fmt.Errorf("fetching JWKS %s: %w", k.url, err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("parsing JWKS %s: %w", k.url, err)
	}
	var keys []jose.JSONWebKey
	for _, key := range set.Keys {
		if key.Use == "" || key.Use == "sig" {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("JWKS %s has no signing keys", k.url)
	}
	return keys, nil
}

// Prefetch loads the keys now, so the first sign-in does not wait for them.
func (k *KeySet) Prefetch(ctx context.Context) error {
	_, err := k.keysFor(ctx, "")
	return err
}

func hasKid(keys []jose.JSONWebKey, kid string) bool {
	if kid == "" {
		return len(keys) > 0
	}
	for _, key := range keys {
		if key.KeyID == kid {
			return true
		}
	}
	return false
}

// asymmetricAlgs lets go-jose parse any asymmetric algorithm and nothing else (no
// "none", no HMAC); go-oidc has already limited the token to the IdP's advertised
// algorithms before the signature is checked.
func asymmetricAlgs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
	}
}
