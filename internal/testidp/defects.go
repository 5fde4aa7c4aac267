package testidp

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// Defect is a way of signing a token wrongly, as the OpenID Foundation's relying-party
// certification tests do, so that tests can check a relying party refuses it.
type Defect string

// The defects SignToken and Options.IDTokenDefect know.
const (
	// DefectNone signs as usual: the current key, its kid and the provider's algorithm.
	DefectNone Defect = ""
	// DefectBadSignature signs as usual, then alters one bit of the signature.
	DefectBadSignature Defect = "bad-signature"
	// DefectAlgNone sends an unsecured JWS: alg "none" and an empty signature.
	DefectAlgNone Defect = "alg-none"
	// DefectHMACPublicKey signs with HS256 keyed by the current public key in PEM
	// (SubjectPublicKeyInfo), the key confusion a verifier that lets the token choose
	// its algorithm falls for.
	DefectHMACPublicKey Defect = "hs256-public-key"
	// DefectNoKID signs with the current key and sends no kid header.
	DefectNoKID Defect = "no-kid"
	// DefectUnknownKID signs with the current key under a kid the JWKS never lists.
	DefectUnknownKID Defect = "unknown-kid"
	// DefectForeignKey signs with a fresh key the JWKS does not hold, without a kid.
	DefectForeignKey Defect = "foreign-key"
	// DefectOtherAlg signs with the current RSA key and kid under RS384, an algorithm
	// the discovery document does not list (an error for an ES256 provider).
	DefectOtherAlg Defect = "other-alg"
)

// SignToken signs claims exactly as given (no defaults, no TokenHook) as a compact JWS
// with header typ (e.g. "JWT", "logout+jwt"), as defect d says.
func (p *Provider) SignToken(claims map[string]any, typ string, d Defect) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("testidp: encode claims: %w", err)
	}
	p.mu.Lock()
	k := p.st.keys[len(p.st.keys)-1]
	p.mu.Unlock()
	if d == DefectAlgNone {
		return unsecured(typ, payload)
	}
	alg, kid := p.alg, k.kid
	var key any
	if err := k.priv.Raw(&key); err != nil {
		return "", fmt.Errorf("testidp: raw key: %w", err)
	}
	switch d {
	case DefectNone, DefectBadSignature:
	case DefectNoKID:
		kid = ""
	case DefectOtherAlg:
		if p.alg != jwa.RS256 {
			return "", fmt.Errorf("testidp: defect %q needs an RS256 provider", d)
		}
		alg = jwa.RS384
	case DefectUnknownKID:
		kid = "unknown-" + rand.Text()[:10]
	case DefectForeignKey:
		if key, err = generateKey(p.alg); err != nil {
			return "", err
		}
		kid = ""
	case DefectHMACPublicKey:
		var pub any
		if err := k.pub.Raw(&pub); err != nil {
			return "", fmt.Errorf("testidp: raw public key: %w", err)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", fmt.Errorf("testidp: encode the public key: %w", err)
		}
		alg, key = jwa.HS256, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	default:
		return "", fmt.Errorf("testidp: unknown defect %q", d)
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.TypeKey, typ); err != nil {
		return "", fmt.Errorf("testidp: set typ: %w", err)
	}
	if kid != "" {
		if err := hdr.Set(jws.KeyIDKey, kid); err != nil {
			return "", fmt.Errorf("testidp: set kid: %w", err)
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("testidp: sign: %w", err)
	}
	if d == DefectBadSignature {
		return flipSignatureBit(string(tok))
	}
	return string(tok), nil
}

// unsecured is an unsecured JWS (RFC 7515 appendix A.5): alg "none", no signature.
func unsecured(typ string, payload []byte) (string, error) {
	hdr, err := json.Marshal(map[string]string{"alg": "none", "typ": typ})
	if err != nil {
		return "", fmt.Errorf("testidp: encode header: %w", err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(hdr) + "." + enc.EncodeToString(payload) + ".", nil
}

// flipSignatureBit returns the compact JWS tok with one bit of its signature changed.
func flipSignatureBit(tok string) (string, error) {
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || len(sig) == 0 {
		return "", fmt.Errorf("testidp: decode the signature: %v", err)
	}
	sig[len(sig)/2] ^= 0x01
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig), nil
}

// SetClaims returns a claims change, for TokenHook or a test's own tokens, that sets
// each key of the pairs kv to the value after it, or deletes the key when that is nil.
func SetClaims(kv ...any) func(map[string]any) {
	return func(c map[string]any) {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
	}
}
