// Package sessions runs several ssogate processes against one real Redis, a real
// OpenID provider (oidc-provider under Node.js, or internal/testidp in this process)
// and a headless Chromium: sessions shared by replicas, logout on one replica ending
// the session on all of them (RP-initiated, front-channel and back-channel), a Redis
// outage and its recovery, token refresh once per session at a time, the idle
// timeout (on a gateway built with -tags testclock, whose session clock the tests
// move) and signing a user out everywhere.
package sessions

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// builder builds the gateway binary once for the whole test binary; clockBuilder
// builds it with -tags testclock, for the idle-timeout tests.
var (
	builder      testenv.Builder
	clockBuilder = testenv.Builder{Tags: "testclock"}
)

func TestMain(m *testing.M) {
	code := builder.Run(m)
	clockBuilder.Close()
	os.Exit(code)
}

// clientID is the gateways' client at the provider.
const clientID = "ssogate"

// store names the session store a gateway of a cluster uses.
type store int

const (
	redisStore         store = iota // SESSION_STORE = the cluster's Redis
	cookieStore                     // SESSION_STORE unset: stateless cookies
	sharedRevokeCookie              // cookies, REVOCATION_STORE = the cluster's Redis
)

// cluster is an oidc-provider, an echo upstream, a Redis and gateways in front of the
// upstream that share COOKIE_SECRET and DATA_DIR (so the signing key), as replicas
// behind a load balancer would. The first gateway receives the provider's
// back-channel logouts through relay.
type cluster struct {
	idp   *testenv.Provider
	redis *testenv.Redis // nil on a Redis Cluster
	up    *httptest.Server
	relay *logoutRelay
	gws   []*testenv.Gateway
}

// startCluster starts one gateway per entry of stores. durable selects a Redis that
// keeps its data across Stop and Start.
func startCluster(t *testing.T, durable bool, stores ...store) *cluster {
	t.Helper()
	var r *testenv.Redis
	if durable {
		r = testenv.StartDurableRedis(t)
	} else {
		r = testenv.StartRedis(t)
	}
	c := startClusterOn(t, r.URL(), stores...)
	c.redis = r
	return c
}

// startClusterOn starts one gateway per entry of stores, on the Redis redisURL names
// (one node, or a Redis Cluster).
func startClusterOn(t *testing.T, redisURL string, stores ...store) *cluster {
	t.Helper()
	c := &cluster{up: newEchoUpstream(t)}
	addrs := make([]string, len(stores))
	client := testenv.PublicClient(clientID)
	for i := range stores {
		addrs[i] = testenv.FreeAddr(t)
		client.RedirectURIs = append(client.RedirectURIs, "http://"+addrs[i]+"/oidc/callback")
		client.PostLogoutRedirectURIs = append(client.PostLogoutRedirectURIs, "http://"+addrs[i]+"/")
	}
	// With a back-channel logout URI and session required, the provider puts sid in
	// its ID tokens, which front-channel logout needs too.
	c.relay = newLogoutRelay(t, "http://"+addrs[0]+"/oidc/backchannel-logout")
	client.BackchannelLogoutURI = c.relay.URL
	client.BackchannelLogoutSessionRequired = true
	c.idp = testenv.StartOIDCProvider(t, testenv.ProviderConfig{Clients: []testenv.Client{client}})
	secret, dataDir := newCookieSecret(t), t.TempDir()
	for i, st := range stores {
		env := map[string]string{
			"LISTEN_ADDR": addrs[i], "PUBLIC_URL": "http://" + addrs[i], "UPSTREAM_URL": c.up.URL,
			"OIDC_ISSUER": c.idp.Issuer, "OIDC_CLIENT_ID": clientID, "OIDC_AUTH_METHOD": "pkce",
			"OIDC_SCOPES": "openid profile email groups", "COOKIE_SECRET": secret, "DATA_DIR": dataDir,
		}
		switch st {
		case redisStore:
			env["SESSION_STORE"] = redisURL
		case sharedRevokeCookie:
			env["REVOCATION_STORE"] = redisURL
		}
		gw := testenv.StartGateway(t, builder.Build(t), env)
		gw.WaitReady(t, 30*time.Second)
		c.gws = append(c.gws, gw)
	}
	return c
}

// newCookieSecret returns a COOKIE_SECRET: 32 random bytes, base64.
func newCookieSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random cookie secret: %v", err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// echoed is what the echo upstream tells about one request.
type echoed struct {
	User  string `json:"user"`
	Email string `json:"email"`
	Host  string `json:"host"` // X-Forwarded-Host: which gateway the request came through
	Path  string `json:"path"`
}

var echoPage = template.Must(template.New("echo").Parse(
	`<!DOCTYPE html><meta charset="utf-8"><title>upstream</title><pre id="echo">{{.}}</pre>`))

// newEchoUpstream starts the application behind the gateways. It answers with the
// identity it received, as JSON or, to a browser, in <pre id="echo">.
func newEchoUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := json.Marshal(echoed{User: r.Header.Get("X-Auth-Request-User"), Email: r.Header.Get("X-Auth-Request-Email"),
			Host: r.Header.Get("X-Forwarded-Host"), Path: r.URL.RequestURI()})
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = echoPage.Execute(w, string(data))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// relayed is one back-channel logout the relay passed on.
type relayed struct {
	token  string // the provider's logout_token
	status int    // the gateway's answer
}

// logoutRelay stands between the provider and a gateway's back-channel logout
// endpoint: it passes each POST on unchanged and keeps the logout token, so a test
// can replay a token the provider really issued.
type logoutRelay struct {
	*httptest.Server
	got chan relayed
}

func newLogoutRelay(t *testing.T, target string) *logoutRelay {
	t.Helper()
	rl := &logoutRelay{got: make(chan relayed, 8)}
	client := &http.Client{Timeout: 10 * time.Second}
	rl.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := client.PostForm(target, r.PostForm)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		select {
		case rl.got <- relayed{token: r.PostForm.Get("logout_token"), status: resp.StatusCode}:
		default:
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	}))
	t.Cleanup(rl.Close)
	return rl
}

// next returns the next back-channel logout relayed, or fails the test after 20 s.
func (rl *logoutRelay) next(t *testing.T) relayed {
	t.Helper()
	select {
	case r := <-rl.got:
		return r
	case <-time.After(20 * time.Second):
		t.Fatalf("the provider sent no back-channel logout within 20s")
		return relayed{}
	}
}

// withQuery returns base with the query q.
func withQuery(base string, q url.Values) string { return base + "?" + q.Encode() }
