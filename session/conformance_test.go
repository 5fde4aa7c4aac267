package session_test

import (
	"testing"

	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/storetest"
)

func TestCookieStoreConformance(t *testing.T) {
	tests := []struct {
		name   string
		secure bool
	}{
		{"http", false},
		{"https", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) session.Store {
				secret := make([]byte, session.MinSecretLen)
				for i := range secret {
					secret[i] = byte(i)
				}
				codec, err := session.NewCodec(secret)
				if err != nil {
					t.Fatalf("NewCodec: %v", err)
				}
				return session.NewCookieStore(session.CookieOptions{Codec: codec, Secure: tt.secure})
			})
		})
	}
}
