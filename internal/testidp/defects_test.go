package testidp

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jws"
)

func TestSignTokenDefects(t *testing.T) {
	e := start(t, nil)
	set, err := e.p.publicSet()
	if err != nil {
		t.Fatal(err)
	}
	kid := e.p.KeyID()
	claims := map[string]any{"iss": e.p.Issuer(), "sub": "x"}
	for _, tc := range []struct {
		defect   Defect
		alg, kid string // header; "-" means absent
		verifies bool   // with one of the published keys, whatever the kid says
	}{
		{DefectNone, "RS256", kid, true},
		{DefectBadSignature, "RS256", kid, false},
		{DefectAlgNone, "none", "-", false},
		{DefectHMACPublicKey, "HS256", kid, false},
		{DefectNoKID, "RS256", "-", true},
		{DefectUnknownKID, "RS256", "unknown-", true},
		{DefectForeignKey, "RS256", "-", false},
		{DefectOtherAlg, "RS384", kid, false}, // the published key is for RS256 only
	} {
		t.Run(string(tc.defect), func(t *testing.T) {
			tok, err := e.p.SignToken(claims, "logout+jwt", tc.defect)
			if err != nil {
				t.Fatalf("SignToken: %v", err)
			}
			hdr := decodeHeader(t, tok)
			gotKid, hasKid := hdr["kid"].(string)
			if !hasKid {
				gotKid = "-"
			}
			if hdr["alg"] != tc.alg || hdr["typ"] != "logout+jwt" || !strings.HasPrefix(gotKid, tc.kid) {
				t.Errorf("header %v; want alg %s, typ logout+jwt, kid %s", hdr, tc.alg, tc.kid)
			}
			_, err = jws.Verify([]byte(tok), jws.WithKeySet(set, jws.WithRequireKid(false)))
			if got := err == nil; got != tc.verifies {
				t.Errorf("verifies with the JWKS = %v (%v), want %v", got, err, tc.verifies)
			}
		})
	}
	if _, err := e.p.SignToken(claims, "JWT", Defect("typo")); err == nil {
		t.Error("SignToken with an unknown defect: no error")
	}
}

func TestIDTokenDefectOption(t *testing.T) {
	e := start(t, func(o *Options) { o.IDTokenDefect = func() Defect { return DefectAlgNone } })
	tok, err := e.p.idToken(e.p.users["alice"], grant{clientID: "c"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if hdr := decodeHeader(t, tok); hdr["alg"] != "none" || !strings.HasSuffix(tok, ".") {
		t.Errorf("ID token %q with header %v; want an unsecured JWS", tok, hdr)
	}
}

func decodeHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatalf("header of %q: %v", tok, err)
	}
	var hdr map[string]any
	if err := json.Unmarshal(b, &hdr); err != nil {
		t.Fatalf("header of %q: %v", tok, err)
	}
	return hdr
}

func TestSetClaims(t *testing.T) {
	c := map[string]any{"sub": "x", "nonce": "n"}
	SetClaims("nonce", nil, "aud", "other")(c)
	if _, ok := c["nonce"]; ok || c["aud"] != "other" || c["sub"] != "x" {
		t.Errorf("claims %v; want nonce deleted, aud other, sub kept", c)
	}
}
