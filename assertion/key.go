// Package assertion signs the identity assertion the gateway sends upstream
// (X-Auth-Request-Assertion): it loads or generates the signing key, signs compact
// JWS tokens from a claims.Identity, caches them per session, publishes the JWKS
// that verifies them, and verifies them for upstream developers and the demo.
package assertion

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// KeyFileName is the name of the generated signing key inside DATA_DIR.
const KeyFileName = "signing_key.pem"

// minRSABits is the smallest RSA key accepted.
const minRSABits = 2048

// LoadOrCreateKey returns the signing key kept in dataDir, generating a P-256 key
// (ES256) the first time. The key is written as a PKCS#8 PEM file with mode 0600,
// complete before it appears under its name and never over an existing file, so
// replicas starting at once on a shared volume end up with one key.
func LoadOrCreateKey(dataDir string) (jwk.Key, error) {
	path := filepath.Join(dataDir, KeyFileName)
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return LoadKeyFile(path)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("assertion: create data directory: %w", err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("assertion: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("assertion: encode signing key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := createExclusive(path, data); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("assertion: save signing key: %w", err)
	}
	// Whoever created the file first, its key is the one everybody uses.
	return LoadKeyFile(path)
}

// createExclusive writes data to a temporary file and hard-links it to path,
// which fails with fs.ErrExist if path exists: readers never see a partial file.
// Where hard links are not supported it falls back to O_EXCL on path itself.
func createExclusive(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".signing_key-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeSync(tmp, data); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	return writeSync(f, data)
}

func writeSync(f *os.File, data []byte) error {
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadKeyFile reads a PEM private key (SIGNING_KEY_FILE): P-256 (ES256), Ed25519
// (EdDSA) or RSA of at least 2048 bits (RS256), in PKCS#8, PKCS#1 or SEC1 form.
func LoadKeyFile(path string) (jwk.Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("assertion: read signing key: %w", err)
	}
	key, err := ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return key, nil
}

// ParseKey reads a PEM private key as LoadKeyFile does. The returned key carries
// alg, use "sig" and a kid that is its RFC 7638 thumbprint.
func ParseKey(pemData []byte) (jwk.Key, error) {
	for rest := pemData; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("assertion: no PEM private key found; expected a PRIVATE KEY, " +
				"EC PRIVATE KEY or RSA PRIVATE KEY block")
		}
		var raw any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			raw, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			raw, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			raw, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("assertion: the signing key is encrypted; decrypt it with " +
				"`openssl pkcs8 -in key.pem -out plain.pem` and keep the file mode 0600")
		default:
			continue // "EC PARAMETERS", certificates and comments around the key
		}
		if err != nil {
			return nil, fmt.Errorf("assertion: parse %s: %w", block.Type, err)
		}
		key, _, err := keyFromRaw(raw)
		if err != nil {
			return nil, fmt.Errorf("assertion: %w", err)
		}
		return key, nil
	}
}

// keyFromRaw checks that raw is a supported private key and returns it as a JWK
// with alg, use and kid set, and its algorithm.
func keyFromRaw(raw any) (jwk.Key, jwa.SignatureAlgorithm, error) {
	var alg jwa.SignatureAlgorithm
	switch k := raw.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, "", fmt.Errorf("ECDSA key on curve %s; only P-256 (ES256) is supported",
				k.Curve.Params().Name)
		}
		alg = jwa.ES256
	case ed25519.PrivateKey:
		alg = jwa.EdDSA
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, "", fmt.Errorf("RSA key of %d bits; at least %d are required", bits, minRSABits)
		}
		alg = jwa.RS256
	default:
		return nil, "", fmt.Errorf("unsupported key type %T; use P-256, Ed25519 or RSA", raw)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		return nil, "", err
	}
	kid, err := thumbprint(key)
	if err != nil {
		return nil, "", err
	}
	for name, value := range map[string]any{jwk.AlgorithmKey: alg, jwk.KeyIDKey: kid, jwk.KeyUsageKey: jwk.ForSignature} {
		if err := key.Set(name, value); err != nil {
			return nil, "", fmt.Errorf("set %s: %w", name, err)
		}
	}
	return key, alg, nil
}

// normalizeKey re-derives a JWK's alg, use and kid from its key material, so that
// a key built elsewhere is checked and named like one from ParseKey.
func normalizeKey(k jwk.Key) (jwk.Key, any, jwa.SignatureAlgorithm, error) {
	var raw any
	if err := k.Raw(&raw); err != nil {
		return nil, nil, "", err
	}
	key, alg, err := keyFromRaw(raw)
	return key, raw, alg, err
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of key's public part, base64url.
func thumbprint(key jwk.Key) (string, error) {
	pub, err := key.PublicKey()
	if err != nil {
		return "", fmt.Errorf("public key: %w", err)
	}
	sum, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}
