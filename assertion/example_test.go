package assertion_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/ssogate/ssogate/assertion"
	"github.com/ssogate/ssogate/claims"
)

func ExampleSigner_Sign() {
	dataDir, _ := os.MkdirTemp("", "ssogate-example")
	defer os.RemoveAll(dataDir)

	key, err := assertion.LoadOrCreateKey(dataDir) // generated once, then reused
	if err != nil {
		fmt.Println(err)
		return
	}
	signer, err := assertion.NewSigner(assertion.SignerOptions{
		Key:      key,
		Issuer:   "https://wandb.example.com",
		Audience: "https://wandb.example.com",
		Now:      func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	id := claims.Identity{Subject: "00u1abcd", Username: "김지수", Groups: []string{"ml-team"}, Role: claims.RoleMember}
	token, expires, err := signer.Sign(id, "session-id")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The gateway sends token upstream in X-Auth-Request-Assertion.
	fmt.Println(signer.Algorithm(), strings.Count(token, "."), expires.UTC())
	// Output: ES256 2 2026-01-01 12:05:00 +0000 UTC
}

func ExampleVerifier_Verify() {
	dataDir, _ := os.MkdirTemp("", "ssogate-example")
	defer os.RemoveAll(dataDir)
	key, _ := assertion.LoadOrCreateKey(dataDir)
	signer, _ := assertion.NewSigner(assertion.SignerOptions{
		Key: key, Issuer: "https://wandb.example.com", Audience: "https://wandb.example.com",
	})
	gateway := httptest.NewServer(signer.JWKSHandler()) // the gateway's /oidc/jwks.json
	defer gateway.Close()
	token, _, _ := signer.Sign(claims.Identity{Subject: "00u1abcd", Username: "jdoe", Role: claims.RoleAdmin}, "s")

	// In the upstream application, for each request:
	verifier := assertion.NewVerifier(gateway.URL, gateway.Client(), "https://wandb.example.com", "https://wandb.example.com")
	c, err := verifier.Verify(context.Background(), token)
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Println(c.Subject, c.Username, c.Role, c.Expiry.Sub(c.IssuedAt))
	// Output: 00u1abcd jdoe admin 5m0s
}
