package certreload

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// pair is a self-signed certificate and its key, PEM-encoded.
type pair struct {
	certPEM, keyPEM []byte
	der             []byte // the certificate, to compare with what GetCertificate serves
}

func newPair(t *testing.T, name string) pair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pair{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		der:     der,
	}
}

// files is a certificate and key file on disk.
type files struct{ cert, key string }

func newFiles(t *testing.T) files {
	dir := t.TempDir()
	return files{cert: filepath.Join(dir, "tls.crt"), key: filepath.Join(dir, "tls.key")}
}

// write writes data to path and sets its modification time to mtime.
func write(t *testing.T, path string, data []byte, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func (f files) write(t *testing.T, p pair, mtime time.Time) {
	t.Helper()
	write(t, f.cert, p.certPEM, mtime)
	write(t, f.key, p.keyPEM, mtime)
}

// fixture is a Reloader serving a pair written an hour ago, with a clock and a JSON
// log the test controls.
type fixture struct {
	files
	start time.Time // the pair's modification time
	r     *Reloader
	clock *testenv.Clock
	logs  *bytes.Buffer
}

func newFixture(t *testing.T, first pair) fixture {
	t.Helper()
	fx := fixture{files: newFiles(t), start: time.Now().Add(-time.Hour), logs: &bytes.Buffer{}}
	fx.write(t, first, fx.start)
	r, err := New(fx.cert, fx.key, slog.New(slog.NewJSONHandler(fx.logs, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	fx.r, fx.clock = r, testenv.NewClock(time.Now())
	r.now = fx.clock.Now
	return fx
}

// serves checks that r serves the certificate of p.
func serves(t *testing.T, r *Reloader, p pair, when string) {
	t.Helper()
	got, err := r.GetCertificate(nil)
	if err != nil {
		t.Fatalf("%s: GetCertificate: %v", when, err)
	}
	if got == nil || len(got.Certificate) == 0 || !bytes.Equal(got.Certificate[0], p.der) {
		t.Fatalf("%s: got a different certificate from the one expected", when)
	}
}

func TestNewNamesTheSettingsOfABadPair(t *testing.T) {
	good, other := newPair(t, "gateway.example.com"), newPair(t, "other.example.com")
	cases := []struct {
		name      string
		cert, key []byte // nil leaves the file out
	}{
		{"missing files", nil, nil},
		{"missing key", good.certPEM, nil},
		{"not PEM", []byte("not a certificate"), good.keyPEM},
		{"key of another certificate", good.certPEM, other.keyPEM},
		{"key and certificate swapped", good.keyPEM, good.certPEM},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFiles(t)
			if c.cert != nil {
				write(t, f.cert, c.cert, time.Now())
			}
			if c.key != nil {
				write(t, f.key, c.key, time.Now())
			}
			r, err := New(f.cert, f.key, slog.New(slog.DiscardHandler))
			if err == nil {
				t.Fatalf("got a Reloader %v, want an error", r)
			}
			for _, want := range []string{"TLS_CERT_FILE", f.cert, "TLS_KEY_FILE", f.key} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got error %q, want it to name %s", err, want)
				}
			}
		})
	}
}

func TestGetCertificateReloadsANewPair(t *testing.T) {
	first, second := newPair(t, "first.example.com"), newPair(t, "second.example.com")
	fx := newFixture(t, first)
	f, r, clock, start := fx.files, fx.r, fx.clock, fx.start
	serves(t, r, first, "after New")

	f.write(t, second, start.Add(time.Hour+time.Minute))
	clock.Advance(5 * time.Second)
	serves(t, r, first, "5 s after the last check") // files are checked at most every 10 s
	clock.Advance(6 * time.Second)
	serves(t, r, second, "11 s after the last check")
	clock.Advance(11 * time.Second)
	serves(t, r, second, "with no further change")
}

func TestGetCertificateReloadsAPairRestoredWithAnOlderTime(t *testing.T) {
	first, backup := newPair(t, "first.example.com"), newPair(t, "backup.example.com")
	fx := newFixture(t, first)

	// cp -p, tar and rsync -t keep the backup's own, older modification time.
	fx.write(t, backup, fx.start.Add(-47*time.Hour))
	fx.clock.Advance(11 * time.Second)
	serves(t, fx.r, backup, "after a restore from backup")
}
