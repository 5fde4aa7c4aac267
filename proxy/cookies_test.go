package proxy

import (
	"net/http"
	"slices"
	"testing"
)

// TestGatewayCookiesAreStripped: the session (and its chunks), login-state, CSRF and
// logout-hint cookies stay with the gateway; the application's own cookies pass.
func TestGatewayCookiesAreStripped(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string // nil: no Cookie header left
	}{
		{"none of ours", []string{"app=1; theme=dark"}, []string{"app=1; theme=dark"}},
		{"session among others", []string{"app=1; ssogate=sealed; theme=dark"}, []string{"app=1; theme=dark"}},
		{"secure names and chunks", []string{"__Host-ssogate_0=2.a; __Host-ssogate_1=b; x=y"}, []string{"x=y"}},
		{"login, csrf and logout hint", []string{"ssogate_login_abc=s; __Host-ssogate_csrf=t; __Secure-ssogate-logout=h"}, nil},
		{"only ours over two headers", []string{"ssogate=a", "ssogate-logout=b; app=2"}, []string{"app=2"}},
		{"a name that merely starts alike", []string{"ssogatekeeper=1; my_ssogate=2"}, []string{"ssogatekeeper=1; my_ssogate=2"}},
		{"value mentioning ssogate", []string{"app=ssogate"}, []string{"app=ssogate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Cookie": slices.Clone(tt.in)}
			stripGatewayCookies(h)
			if got := h["Cookie"]; !slices.Equal(got, tt.want) {
				t.Errorf("Cookie %q -> %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
