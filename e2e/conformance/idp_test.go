package conformance

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ssogate/ssogate/internal/testidp"
	"github.com/ssogate/ssogate/internal/testidp/idptest"
)

// misbehaviour is what the hostile IdP does wrong for one row; the zero value is an
// honest provider.
type misbehaviour struct {
	claims func(c map[string]any) // changes the ID token's claims before it is signed
	defect testidp.Defect         // how the ID token is signed
	// replayCodes makes the token endpoint answer a code it has already redeemed
	// with the tokens it gave the first time, as a provider that does not enforce
	// single-use codes would.
	replayCodes bool
	// userinfo changes the userinfo endpoint's answer.
	userinfo func(c map[string]any)
	// tokens changes the token endpoint's answer (the code flow's tokens).
	tokens func(c map[string]any)
}

// hostileIdP is internal/testidp served in this process, switched per row to mint
// the defect the row names. Rows run one at a time.
type hostileIdP struct {
	*idptest.Server

	mu      sync.Mutex
	now     misbehaviour
	last    map[string]any                        // claims of the last ID token minted
	answers map[string]*httptest.ResponseRecorder // token endpoint answers by code, with replayCodes
}

// startHostileIdP starts the provider with the demo users and a public client per
// entry of redirects (client ID → redirect URI). Its JWKS lists two keys (the current
// one signs), as a provider in the middle of a key rotation does, and its discovery
// document offers "none" and HS256 besides RS256, which a relying party must never
// accept however the provider advertises them.
func startHostileIdP(t *testing.T, redirects map[string]string) *hostileIdP {
	t.Helper()
	h := &hostileIdP{answers: map[string]*httptest.ResponseRecorder{}}
	opts := testidp.Options{Users: testidp.DemoUsers(), TokenHook: h.tokenHook, IDTokenDefect: h.defect,
		DiscoveryHook: func(doc map[string]any) {
			doc["id_token_signing_alg_values_supported"] = []string{"RS256", "HS256", "none"}
		}}
	for id, uri := range redirects {
		opts.Clients = append(opts.Clients, testidp.Client{ID: id, RedirectURIs: []string{uri}})
	}
	h.Server = idptest.New(t, opts)
	if err := h.RotateKey(); err != nil {
		t.Fatalf("rotate the IdP's key: %v", err)
	}
	h.Serve(func(p http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(p, w, r) })
	})
	return h
}

// set makes m the provider's behaviour until the next set.
func (h *hostileIdP) set(m misbehaviour) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = m
	clear(h.answers)
}

// lastClaims returns the claims of the last ID token the provider minted.
func (h *hostileIdP) lastClaims() map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.last)
}

func (h *hostileIdP) tokenHook(c map[string]any) {
	h.mu.Lock()
	change := h.now.claims
	h.mu.Unlock()
	if change != nil {
		change(c)
	}
	h.mu.Lock()
	h.last = maps.Clone(c)
	h.mu.Unlock()
}

func (h *hostileIdP) defect() testidp.Defect {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now.defect
}

// serve answers as the provider does, except that with replayCodes a code redeemed
// before gets its first answer again, and that userinfo and tokens may change those
// endpoints' answers.
func (h *hostileIdP) serve(p http.Handler, w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	now := h.now
	h.mu.Unlock()
	switch {
	case now.replayCodes && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token"):
		h.replayToken(p, w, r)
	case now.userinfo != nil && strings.HasSuffix(r.URL.Path, "/userinfo"):
		rewrite(p, w, r, now.userinfo)
	case now.tokens != nil && strings.HasSuffix(r.URL.Path, "/token"):
		rewrite(p, w, r, now.tokens)
	default:
		p.ServeHTTP(w, r)
	}
}

// rewrite answers r as p does, with change applied to a successful JSON answer.
func rewrite(p http.Handler, w http.ResponseWriter, r *http.Request, change func(map[string]any)) {
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, r)
	var c map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &c) != nil {
		copyAnswer(w, rec)
		return
	}
	change(c)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(c)
}

// replayToken answers a token request, with the first answer again for a code
// redeemed before.
func (h *hostileIdP) replayToken(p http.Handler, w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form, _ := url.ParseQuery(string(body))
	code := form.Get("code")
	h.mu.Lock()
	rec, seen := h.answers[code]
	h.mu.Unlock()
	if !seen {
		rec = httptest.NewRecorder()
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.ServeHTTP(rec, r)
		h.mu.Lock()
		h.answers[code] = rec
		h.mu.Unlock()
	}
	copyAnswer(w, rec)
}

func copyAnswer(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
