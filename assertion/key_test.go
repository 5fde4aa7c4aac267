package assertion

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// testKeys holds one private key of each supported kind.
type testKeys struct {
	ec  *ecdsa.PrivateKey
	ed  ed25519.PrivateKey
	rsa *rsa.PrivateKey
}

func newTestKeys(t testing.TB) testKeys {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{ec: ec, ed: ed, rsa: rk}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(t testing.TB, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PRIVATE KEY", der)
}

func writeFile(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rfc7638 computes the thumbprint by hand from the members RFC 7638 §3.2 lists,
// in lexicographic order, independently of any JOSE library.
func rfc7638(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	var members string
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		ecdhPub, err := pub.ECDH()
		if err != nil {
			t.Fatal(err)
		}
		point := ecdhPub.Bytes() // 0x04 || X || Y, each 32 bytes
		members = `{"crv":"P-256","kty":"EC","x":"` + b64(point[1:33]) + `","y":"` + b64(point[33:]) + `"}`
	case ed25519.PublicKey:
		members = `{"crv":"Ed25519","kty":"OKP","x":"` + b64(pub) + `"}`
	case *rsa.PublicKey:
		e := big.NewInt(int64(pub.E)).Bytes()
		members = `{"e":"` + b64(e) + `","kty":"RSA","n":"` + b64(pub.N.Bytes()) + `"}`
	default:
		t.Fatalf("no thumbprint for %T", pub)
	}
	sum := sha256.Sum256([]byte(members))
	return b64(sum[:])
}

func TestLoadKeyFile(t *testing.T) {
	k := newTestKeys(t)
	sec1, err := x509.MarshalECPrivateKey(k.ec)
	if err != nil {
		t.Fatal(err)
	}
	ecParams := pemBlock("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07})
	tests := []struct {
		name string
		pem  []byte
		alg  string
		pub  crypto.PublicKey
	}{
		{"P-256 PKCS#8", pkcs8(t, k.ec), "ES256", &k.ec.PublicKey},
		{"P-256 SEC1 after EC PARAMETERS", append(ecParams, pemBlock("EC PRIVATE KEY", sec1)...), "ES256", &k.ec.PublicKey},
		{"Ed25519 PKCS#8", pkcs8(t, k.ed), "EdDSA", k.ed.Public()},
		{"RSA PKCS#1", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.rsa)), "RS256", &k.rsa.PublicKey},
		{"RSA PKCS#8", pkcs8(t, k.rsa), "RS256", &k.rsa.PublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := LoadKeyFile(writeFile(t, tt.pem))
			if err != nil {
				t.Fatalf("LoadKeyFile: %v", err)
			}
			if got := key.Algorithm().String(); got != tt.alg {
				t.Errorf("alg = %q, want %q", got, tt.alg)
			}
			if got, want := key.KeyID(), rfc7638(t, tt.pub); got != want {
				t.Errorf("kid = %q, want RFC 7638 thumbprint %q", got, want)
			}
			if got := key.KeyUsage(); got != "sig" {
				t.Errorf("use = %q, want sig", got)
			}
		})
	}
}

func TestLoadKeyFileRejects(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, want string
		pem        []byte
	}{
		{"P-384", "only P-256", pkcs8(t, p384)},
		{"RSA 1024", "at least 2048", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small))},
		{"encrypted", "decrypt it", pemBlock("ENCRYPTED PRIVATE KEY", []byte{1, 2, 3})},
		{"public key only", "no PEM private key", pemBlock("PUBLIC KEY", pubDER)},
		{"not PEM", "no PEM private key", []byte("hello")},
		{"corrupt PKCS#8", "parse PRIVATE KEY", pemBlock("PRIVATE KEY", []byte{1, 2, 3})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.pem)
			_, err := LoadKeyFile(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("LoadKeyFile error = %v, want one mentioning %q and the path", err, tt.want)
			}
		})
	}
	if _, err := LoadKeyFile(filepath.Join(t.TempDir(), "missing.pem")); err == nil {
		t.Error("LoadKeyFile(missing file) succeeded, want an error")
	}
}

func TestLoadOrCreateKeyPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatalf("first LoadOrCreateKey: %v", err)
	}
	second, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatalf("second LoadOrCreateKey: %v", err)
	}
	if first.KeyID() != second.KeyID() {
		t.Errorf("kid changed across calls: %q then %q", first.KeyID(), second.KeyID())
	}
	if got := first.Algorithm().String(); got != "ES256" {
		t.Errorf("generated key alg = %q, want ES256", got)
	}
	info, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %o, want 600", got)
	}
	data, err := os.ReadFile(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode(data); block == nil || block.Type != "PRIVATE KEY" {
		t.Errorf("key file is not a PKCS#8 PEM block:\n%s", data)
	}
}

func TestLoadOrCreateKeyRace(t *testing.T) {
	dir := t.TempDir()
	const replicas = 8
	kids := make([]string, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			key, err := LoadOrCreateKey(dir)
			errs[i] = err
			if err == nil {
				kids[i] = key.KeyID()
			}
		})
	}
	wg.Wait()
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if kids[i] != kids[0] {
			t.Errorf("replica %d kid = %q, want %q: replicas ended with different keys", i, kids[i], kids[0])
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != KeyFileName {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("data dir holds %q, want only %s", names, KeyFileName)
	}
}
