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
	return jwtPart(t, raw, 1, "claims")
}

// JWTHeader decodes the protected header of the compact JWS raw, or fails the test.
func JWTHeader(t testing.TB, raw string) map[string]any {
	t.Helper()
	return jwtPart(t, raw, 0, "header")
}

// jwtPart decodes part i of the compact JWS raw as a JSON object (what names it in
// messages).
func jwtPart(t testing.TB, raw string, i int, what string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("decode the JWT %s: %v", what, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode the JWT %s: %v", what, err)
	}
	return m
}
