package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ssogate/ssogate/internal/testenv"
)

// testCA is a certificate authority made for one test, with its certificate in a PEM file.
type testCA struct {
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // CA certificate, PEM
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	ca := &testCA{dir: t.TempDir(), pool: x509.NewCertPool()}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "ssogate integration test CA"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	var der []byte
	ca.cert, ca.key, der = ca.issue(t, tmpl)
	ca.pool.AddCert(ca.cert)
	ca.file = writePEM(t, ca.dir, "ca.pem", "CERTIFICATE", der)
	return ca
}

// leaf issues a server certificate for name and 127.0.0.1 and returns its PEM files.
func (ca *testCA) leaf(t *testing.T, name string) (certFile, keyFile string) {
	t.Helper()
	_, key, der := ca.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, ca.dir, name+".crt", "CERTIFICATE", der), writePEM(t, ca.dir, name+".key", "PRIVATE KEY", pkcs8)
}

// issue signs tmpl, valid for a day, with a new P-256 key: by the CA, or by that key
// itself while the CA has none yet.
func (ca *testCA) issue(t *testing.T, tmpl *x509.Certificate) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.SerialNumber, err = rand.Int(rand.Reader, big.NewInt(1<<62)); err != nil {
		t.Fatal(err)
	}
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	parent, signer := ca.cert, ca.key
	if parent == nil {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, der
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startConnectProxy runs an HTTP CONNECT proxy on 127.0.0.1 that tunnels to the
// "host:port" names in routes (to their 127.0.0.1 addresses) and refuses anything else.
// It is how the gateway process reaches https://idp.test:PORT. A tunnel ends when
// either side closes it.
func startConnectProxy(t *testing.T, routes map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, ok := routes[r.Host]
		if r.Method != http.MethodConnect || !ok {
			http.Error(w, "no tunnel to "+r.Host, http.StatusForbidden)
			return
		}
		up, err := net.DialTimeout("tcp", target, 5*time.Second)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
			return
		}
		done := make(chan struct{})
		go func() {
			_, _ = io.Copy(up, rw.Reader)
			up.Close()
			close(done)
		}()
		_, _ = io.Copy(conn, up)
		conn.Close()
		<-done
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// startCrossSite runs the provider at https://idp.test:PORT and the gateway at
// https://app.test:PORT, two different sites, with an implicit client.
func startCrossSite(t *testing.T) (*stack, *testCA) {
	t.Helper()
	ca := newTestCA(t)
	idpCert, idpKey := ca.leaf(t, "idp.test")
	appCert, appKey := ca.leaf(t, "app.test")
	idpPort, gwPort := testenv.FreePort(t), testenv.FreePort(t)
	issuer := "https://idp.test:" + strconv.Itoa(idpPort)
	public := "https://app.test:" + strconv.Itoa(gwPort)

	tlsClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}}
	s := &stack{up: newEchoUpstream(t, public, "https://127.0.0.1:"+strconv.Itoa(gwPort)+"/oidc/jwks.json", tlsClient)}
	s.idp = testenv.StartOIDCProvider(t, testenv.ProviderConfig{
		Port: idpPort, Issuer: issuer, CertFile: idpCert, KeyFile: idpKey,
		Clients: []testenv.Client{testenv.ImplicitClient("wandb", public+"/oidc/callback")},
	})
	proxy := startConnectProxy(t, map[string]string{"idp.test:" + strconv.Itoa(idpPort): "127.0.0.1:" + strconv.Itoa(idpPort)})
	s.gw = testenv.StartGateway(t, builder.Build(t), map[string]string{
		"LISTEN_ADDR": "127.0.0.1:" + strconv.Itoa(gwPort), "PUBLIC_URL": public, "UPSTREAM_URL": s.up.URL,
		"TLS_CERT_FILE": appCert, "TLS_KEY_FILE": appKey,
		"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "wandb", "OIDC_AUTH_METHOD": "implicit",
		"OIDC_SCOPES": "openid profile email groups",
		"HTTPS_PROXY": proxy, "SSL_CERT_FILE": ca.file,
	})
	s.gw.WaitReady(t, 30*time.Second)
	return s, ca
}

// TestImplicitCrossSiteHTTPS signs in with form_post from an IdP on another site:
// the IdP's page POSTs to the gateway cross-site, so the login-state cookie must be
// SameSite=None; Secure to come back with it.
func TestImplicitCrossSiteHTTPS(t *testing.T) {
	t.Parallel()
	s, ca := startCrossSite(t)
	public := s.gw.Env["PUBLIC_URL"]

	// The login-state cookie as the gateway sets it.
	direct := &http.Client{Timeout: 10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := testenv.Fetch(t, direct, s.gw.URL+"/oidc/login?rd=/x", nil, nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, s.idp.Issuer+"/auth?") {
		t.Fatalf("GET /oidc/login: got %d Location %q, want 302 to %s/auth", resp.StatusCode, loc, s.idp.Issuer)
	}
	var found bool
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, "__Host-ssogate_login_") {
			found = true
			if c.SameSite != http.SameSiteNoneMode || !c.Secure || !c.HttpOnly || c.Path != "/" {
				t.Errorf("login cookie %q: SameSite %v, Secure %v, HttpOnly %v, Path %q; want SameSite=None; Secure; HttpOnly; Path=/",
					c.Name, c.SameSite, c.Secure, c.HttpOnly, c.Path)
			}
		}
	}
	if !found {
		t.Fatalf("GET /oidc/login set no __Host-ssogate_login_ cookie; Set-Cookie: %q", resp.Header.Values("Set-Cookie"))
	}

	ctx := testenv.Chrome(t, testenv.HostResolverRules("MAP idp.test 127.0.0.1, MAP app.test 127.0.0.1"),
		testenv.IgnoreCertificateErrors())
	at, e := browserSignIn(t, ctx, s, public+"/experiments?run=7", "alice")
	if want := public + "/experiments?run=7"; at != want {
		t.Errorf("the browser landed on %s, want %s", at, want)
	}
	checkSignedIn(t, e, "alice", "Alice Admin", []string{"wandb-admins", "ml-team"})
	checkAuditSuccess(t, s, "alice", "implicit", "/experiments")
	s.gw.WaitRecord(t, "request", testenv.LogWait, func(r map[string]any) bool {
		return testenv.Str(r, "method") == http.MethodPost && testenv.Str(r, "path") == "/oidc/callback" && r["status"] == float64(http.StatusSeeOther)
	})

	t.Run("two tabs", func(t *testing.T) { twoTabs(t, ctx, s) })
}

// twoTabs starts two sign-ins at once in one browser without cookies, then finishes
// the first and the second: both land on their upstream pages.
func twoTabs(t *testing.T, ctx context.Context, s *stack) {
	public := s.gw.Env["PUBLIC_URL"]
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := chromedp.Do(cctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	cancel()
	if err != nil {
		t.Fatalf("clear the browser's cookies: %v", err)
	}
	var tabs [2]context.Context
	for i := range tabs {
		tab := openTab(t, ctx)
		tabs[i] = tab
		cctx, cancel := context.WithTimeout(tab, 30*time.Second)
		err := chromedp.Do(cctx, chromedp.Navigate(public+"/tab/"+strconv.Itoa(i+1)),
			chromedp.WaitVisible(chromedp.CSS(testenv.LoginUserSelector)))
		cancel()
		if err != nil {
			t.Fatalf("tab %d: open the gateway and reach the provider's login page: %v", i+1, err)
		}
	}
	logins := 0
	for name, c := range browserCookies(t, tabs[0], public+"/") {
		if strings.HasPrefix(name, "__Host-ssogate_login_") {
			logins++
			if c.SameSite != network.CookieSameSiteNone || !c.Secure {
				t.Errorf("browser cookie %s: SameSite %q, Secure %v; want None and Secure", name, c.SameSite, c.Secure)
			}
		}
	}
	if logins != 2 {
		t.Errorf("the browser holds %d login-state cookies, want 2 (one per tab)", logins)
	}
	for i, tab := range tabs {
		cctx, cancel := context.WithTimeout(tab, time.Minute)
		err := chromedp.Do(cctx, testenv.LoginOIDCProvider(cctx, "alice", "alice"))
		cancel()
		if err != nil {
			t.Fatalf("tab %d: sign in: %v\n--- gateway log ---\n%s", i+1, err, s.gw.Logs())
		}
		at, e := landOnUpstream(t, tab, s.gw)
		if want := public + "/tab/" + strconv.Itoa(i+1); at != want {
			t.Errorf("tab %d landed on %s, want %s", i+1, at, want)
		}
		checkSignedIn(t, e, "alice", "Alice Admin", []string{"wandb-admins", "ml-team"})
	}
}

// openTab opens a new tab in ctx's browser, closed in t.Cleanup. The tab lives as long
// as the context of its first action, so that action has no deadline; the wait for it is
// bounded here instead.
func openTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, closeTab := chromedp.NewContext(ctx)
	t.Cleanup(closeTab)
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(tab) }()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("open a tab: %v", err)
		}
	case <-deadline.C:
		t.Fatalf("the browser did not open a tab within 30s")
	}
	return tab
}
