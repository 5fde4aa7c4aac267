package testenv

import (
	"cmp"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// providerStartTimeout bounds how long Node.js may take to print its READY line. It is
// an upper bound, reached only on a machine busy with several e2e packages starting
// their processes at once (a start there once took over 30 s).
const providerStartTimeout = 90 * time.Second

// providerStallTimeout is how long a first start may go without its READY line before
// StartOIDCProvider logs the process's threads and starts a second one. A start takes
// 1–3 s on a quiet machine and took 10.8 s at most with three at once beside a whole
// e2e run; on CI a start has printed its first warning and then nothing for 90 s.
const providerStallTimeout = 30 * time.Second

// User is an account of the test provider; the login page checks Username (or Email or
// Sub) and Password, and the ID token carries the other fields as claims.
type User struct {
	Sub           string   `json:"sub"`
	Username      string   `json:"username"` // preferred_username
	Password      string   `json:"password"`
	Email         string   `json:"email,omitempty"`
	EmailVerified bool     `json:"email_verified"`
	Name          string   `json:"name,omitempty"`
	Groups        []string `json:"groups"`
}

// DefaultUsers returns alice (wandb-admins, ml-team), bob (ml-team) and jisoo (김지수,
// ml-team), each with the password equal to the user name.
func DefaultUsers() []User {
	return []User{
		{Sub: "alice", Username: "alice", Password: "alice", Email: "alice@example.com", EmailVerified: true,
			Name: "Alice Admin", Groups: []string{"wandb-admins", "ml-team"}},
		{Sub: "bob", Username: "bob", Password: "bob", Email: "bob@example.com", EmailVerified: true,
			Name: "Bob Builder", Groups: []string{"ml-team"}},
		{Sub: "jisoo", Username: "jisoo", Password: "jisoo", Email: "jisoo@example.com", EmailVerified: true,
			Name: "김지수", Groups: []string{"ml-team"}},
	}
}

// ProviderConfig configures StartOIDCProvider. The zero value is a provider on a free port
// with DefaultUsers and no clients.
type ProviderConfig struct {
	Users   []User   // nil means DefaultUsers()
	Clients []Client // registered statically; see PublicClient, ConfidentialClient, ImplicitClient
	Port    int      // 0 lets the provider pick a free port; set it to restart on the same issuer
	// Issuer overrides http(s)://127.0.0.1:PORT, e.g. https://idp.test:PORT with the name
	// mapped to 127.0.0.1 by HostResolverRules; set Port to the port it names.
	Issuer string

	// CertFile and KeyFile, both set, serve HTTPS.
	CertFile, KeyFile string

	// JWKS is a private JWK set ({"keys":[...]}) to sign with; nil means a fresh RSA key at
	// every start (so a restart rotates the key).
	JWKS json.RawMessage

	// TTL overrides lifetimes in seconds by oidc-provider's names: IdToken, AccessToken,
	// RefreshToken, AuthorizationCode, Session, Grant, Interaction, ClientCredentials.
	TTL map[string]int

	// ConformIDTokenClaims keeps user claims out of ID tokens that come with an access
	// token, as OpenID Connect Core 5.4 says and oidc-provider does by default: the
	// groups, name and email are then only at the userinfo endpoint.
	ConformIDTokenClaims bool

	// StallTimeout replaces providerStallTimeout (30 s) when set: how long the first
	// process may go without its READY line before a second one is started.
	StallTimeout time.Duration
}

// Provider is a running panva/oidc-provider.
type Provider struct {
	Issuer string // as in discovery and in the tokens' iss
	URL    string // http(s)://127.0.0.1:PORT, where it listens (differs from Issuer when overridden)
	Port   int

	proc *process
}

var (
	readyLine  = regexp.MustCompile(`(?m)^READY (\S+)$`)
	listenLine = regexp.MustCompile(`(?m)^EVENT listening addr=127\.0\.0\.1:(\d+)$`)
)

// StartOIDCProvider runs `node testdata/oidc-provider/server.js` with cfg, waits for its
// READY line, and stops it in t.Cleanup. A first process that prints no READY line within
// the stall timeout is logged with its threads and replaced by a second one. When Node.js
// or the provider's node_modules are missing it skips the test naming them, or fails it
// with StrictEnv set (CI); under -short it skips.
func StartOIDCProvider(t testing.TB, cfg ProviderConfig) *Provider {
	t.Helper()
	node := RequireCommand(t, "node", "Node.js 20+ runs the test OIDC provider (apt-get install nodejs npm)")
	dir := filepath.Join(RepoRoot(t), "testdata", "oidc-provider")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		Missing(t, "the test OIDC provider's node_modules", "run `npm ci --prefix testdata/oidc-provider` from the repository root (.ci/run does)")
	}

	users := cfg.Users
	if users == nil {
		users = DefaultUsers()
	}
	clients := cfg.Clients
	if clients == nil {
		clients = []Client{}
	}
	file := struct {
		Users   []User          `json:"users"`
		Clients []Client        `json:"clients"`
		JWKS    json.RawMessage `json:"jwks,omitempty"`
		TTL     map[string]int  `json:"ttl,omitempty"`
		Conform bool            `json:"conform_id_token_claims,omitempty"`
	}{users, clients, cfg.JWKS, cfg.TTL, cfg.ConformIDTokenClaims}
	data, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		t.Fatalf("testenv: encode provider config: %v", err)
	}
	confPath := filepath.Join(t.TempDir(), "oidc-provider.json")
	if err := os.WriteFile(confPath, data, 0o600); err != nil {
		t.Fatalf("testenv: write provider config: %v", err)
	}

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "HOST=127.0.0.1"}
	if cfg.Issuer != "" {
		env = append(env, "ISSUER="+cfg.Issuer)
	}
	scheme := "http"
	if cfg.CertFile != "" && cfg.KeyFile != "" {
		env = append(env, "CERT="+cfg.CertFile, "KEY="+cfg.KeyFile)
		scheme = "https"
	}
	newCmd := func() *exec.Cmd {
		cmd := exec.Command(node, "server.js", "--port", strconv.Itoa(cfg.Port), "--config", confPath)
		cmd.Dir = dir
		cmd.Env = slices.Clone(env) // each process its own: exec may append to it (PWD)
		return cmd
	}
	stall := cmp.Or(cfg.StallTimeout, providerStallTimeout)
	proc := startProcess(t, "oidc-provider", newCmd())
	out, err := proc.waitFor(stall, readyLine.MatchString)
	if err != nil && !proc.exited() {
		// Stalled, not failed: say where it stands, then give a second process the
		// whole start timeout.
		pid := proc.cmd.Process.Pid
		t.Logf("%soidc-provider (pid %d) printed no READY line within %v, starting a second one; its threads: %s; its last output: %q",
			noticePrefix, pid, stall, strings.ReplaceAll(threadStates(pid), "\n", " | "), lastLine(out))
		t.Logf("testenv: the whole output of oidc-provider (pid %d):\n%s", pid, out)
		proc.kill(t)
		proc = startProcess(t, "oidc-provider", newCmd())
		out, err = proc.waitFor(providerStartTimeout, readyLine.MatchString)
	}
	if err != nil {
		t.Fatalf("testenv: the test OIDC provider did not start: %v\nits threads:\n%s\n--- log ---\n%s",
			err, threadStates(proc.cmd.Process.Pid), out)
	}
	p := &Provider{Issuer: readyLine.FindStringSubmatch(out)[1], proc: proc}
	if m := listenLine.FindStringSubmatch(out); m != nil {
		p.Port, _ = strconv.Atoi(m[1])
	}
	p.URL = scheme + "://127.0.0.1:" + strconv.Itoa(p.Port)
	return p
}

// DiscoveryURL returns the provider's discovery document URL (under Issuer).
func (p *Provider) DiscoveryURL() string {
	return p.Issuer + "/.well-known/openid-configuration"
}

// Logs returns what the provider printed: READY, "EVENT name ..." lines (login.success,
// login.failed, authorization.success, grant.success, end_session.success,
// backchannel.success, backchannel.error, ...), "HTTP METHOD PATH STATUS" lines and warnings.
func (p *Provider) Logs() string { return p.proc.Logs() }

// WaitLog waits up to timeout for substring in the provider's log, or fails the test.
func (p *Provider) WaitLog(t testing.TB, substring string, timeout time.Duration) {
	t.Helper()
	p.proc.WaitLog(t, substring, timeout)
}

// Stop stops the provider now (SIGTERM, then SIGKILL); t.Cleanup would otherwise do it.
// Its state (sessions, grants, tokens) is in memory and is lost.
func (p *Provider) Stop(t testing.TB) {
	t.Helper()
	p.proc.stop(t)
}

// Client is a client registered at the test provider: oidc-provider's client metadata plus
// two test-only switches.
type Client struct {
	ID                               string   `json:"client_id"`
	Secret                           string   `json:"client_secret,omitempty"`
	RedirectURIs                     []string `json:"redirect_uris"`
	PostLogoutRedirectURIs           []string `json:"post_logout_redirect_uris,omitempty"`
	ResponseTypes                    []string `json:"response_types,omitempty"`
	GrantTypes                       []string `json:"grant_types,omitempty"`
	TokenEndpointAuthMethod          string   `json:"token_endpoint_auth_method,omitempty"`
	BackchannelLogoutURI             string   `json:"backchannel_logout_uri,omitempty"`
	BackchannelLogoutSessionRequired bool     `json:"backchannel_logout_session_required,omitempty"`
	IDTokenSignedResponseAlg         string   `json:"id_token_signed_response_alg,omitempty"`

	// RequirePKCE makes PKCE (S256) mandatory for this client. It is always mandatory for
	// public clients (token_endpoint_auth_method "none") and optional otherwise.
	RequirePKCE bool `json:"pkce_required,omitempty"`
	// Consent shows the provider's consent page ("Continue") on first login; by default
	// consent is granted without a page.
	Consent bool `json:"consent,omitempty"`

	// Extra holds further oidc-provider client metadata, merged into the JSON as is.
	Extra map[string]any `json:"-"`
}

// MarshalJSON encodes the client with Extra merged in.
func (c Client) MarshalJSON() ([]byte, error) {
	type plain Client
	data, err := json.Marshal(plain(c))
	if err != nil || len(c.Extra) == 0 {
		return data, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	maps.Copy(m, c.Extra)
	return json.Marshal(m)
}

// PublicClient is an authorization-code client without a secret (PKCE required), as an Okta
// SPA app or a Cognito app client without secret. It may use refresh tokens.
func PublicClient(id string, redirectURIs ...string) Client {
	return Client{
		ID:                      id,
		RedirectURIs:            redirectURIs,
		ResponseTypes:           []string{"code"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		TokenEndpointAuthMethod: "none",
	}
}

// ConfidentialClient is an authorization-code client authenticating with client_secret_basic
// (PKCE optional). It may use refresh tokens and the client_credentials grant.
func ConfidentialClient(id, secret string, redirectURIs ...string) Client {
	return Client{
		ID:                      id,
		Secret:                  secret,
		RedirectURIs:            redirectURIs,
		ResponseTypes:           []string{"code"},
		GrantTypes:              []string{"authorization_code", "refresh_token", "client_credentials"},
		TokenEndpointAuthMethod: "client_secret_basic",
	}
}

// ImplicitClient is an implicit-flow client (response_type id_token, e.g. with
// response_mode form_post) with no secret. The provider accepts its http://127.0.0.1
// redirect URIs only because server.js relaxes the library's https-only rule for tests.
func ImplicitClient(id string, redirectURIs ...string) Client {
	return Client{
		ID:                      id,
		RedirectURIs:            redirectURIs,
		ResponseTypes:           []string{"id_token"},
		GrantTypes:              []string{"implicit"},
		TokenEndpointAuthMethod: "none",
	}
}
