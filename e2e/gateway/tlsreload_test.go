package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/certreload"
	"github.com/ssogate/ssogate/internal/testenv"
)

// servedName is the common name of the certificate the gateway presents now, which
// must chain to ca.
func servedName(t *testing.T, g *testenv.Gateway, ca *testCA) string {
	t.Helper()
	// Any name is accepted here: which one is served is what the test asks.
	conn, err := tls.Dial("tcp", strings.TrimPrefix(g.URL, "https://"), &tls.Config{InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: ca.pool})
			return err
		}})
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

// TestTLSReloadFailureIsLogged: a key that no longer matches the certificate is
// logged by the running gateway, naming both settings, while the old certificate is
// still served; the pair that fixes it is served and logged as a recovery.
func TestTLSReloadFailureIsLogged(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	certFile, keyFile := ca.leaf(t, "app.test")
	nextCert, nextKey := ca.leaf(t, "next.test")
	g := testenv.StartGateway(t, builder.Build(t), map[string]string{
		"LOCAL_RESTORE": "true", "TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile,
	})
	if got := servedName(t, g, ca); got != "app.test" {
		t.Fatalf("serving %q at start, want app.test", got)
	}

	// The renewed key arrives before its certificate.
	copyFile(t, nextKey, keyFile)
	failed := g.WaitRecord(t, certreload.MsgFailed, 30*time.Second, nil)
	if testenv.Str(failed, "TLS_CERT_FILE") != certFile || testenv.Str(failed, "TLS_KEY_FILE") != keyFile ||
		!strings.Contains(testenv.Str(failed, "error"), "private key does not match public key") {
		t.Errorf("got %v, want TLS_CERT_FILE=%s, TLS_KEY_FILE=%s and the mismatch", failed, certFile, keyFile)
	}
	for range 20 {
		if got := servedName(t, g, ca); got != "app.test" {
			t.Fatalf("serving %q with a broken pair, want the previous app.test", got)
		}
	}

	copyFile(t, nextCert, certFile)
	g.WaitRecord(t, certreload.MsgRecovered, 30*time.Second, nil)
	if got := servedName(t, g, ca); got != "next.test" {
		t.Fatalf("serving %q after the recovery, want next.test", got)
	}
	if n := len(testenv.RecordsWithMsg(g.Logs(), certreload.MsgFailed)); n != 1 {
		t.Errorf("got %d failure lines for one broken pair, want 1", n)
	}
	key, err := os.ReadFile(nextKey)
	if err != nil {
		t.Fatal(err)
	}
	if body := strings.Split(string(key), "\n")[1]; strings.Contains(g.Logs(), body) {
		t.Errorf("the log shows the private key")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
