package testenv

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// JWTClaims decodes the payload of the compact JWS raw without verifying it, or fails
// the test.
func JWTClaims(t testing.TB, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", raw)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode the JWT payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("decode the JWT claims: %v", err)
	}
	return claims
}
