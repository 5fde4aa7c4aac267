// Package doctor is the one probe of an identity provider: it checks a configuration
// against the real IdP (discovery, issuer match, auth method support, signing keys,
// clock) and explains each problem with its fix. `ssogate doctor` prints its results
// and the settings page's Test shows them.
package doctor

import (
	"context"
	"net/http"
	"time"

	"github.com/ssogate/ssogate/config"
)

// Status is the outcome of one check.
type Status int

// The outcomes of a check.
const (
	Pass    Status = iota
	Fail           // the configuration will not work; Detail says how to fix it
	Skipped        // not run, or not conclusive; Detail says why
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	}
	return "skipped"
}

// IDs of the checks, in the order they run: short, stable names for the command's
// output and for tests.
const (
	IDConfig      = "config"
	IDIssuerForm  = "issuer form" // only when the issuer looks like a known mistake
	IDDiscovery   = "discovery"
	IDIssuer      = "issuer"
	IDMethod      = "auth method"
	IDSigningKeys = "signing keys"
	IDClock       = "clock"
	IDLogout      = "logout" // only when the IdP has no end_session_endpoint
	IDGroups      = "groups" // where groups come from when the ID token lacks them
)

// Name is the title of the check id, for pages.
func Name(id string) string {
	switch id {
	case IDConfig:
		return "Configuration valid"
	case IDIssuerForm:
		return "Issuer form"
	case IDDiscovery:
		return "Discovery document reachable"
	case IDIssuer:
		return "Issuer matches"
	case IDMethod:
		return "Authentication method supported"
	case IDSigningKeys:
		return "Signing keys (JWKS) fetched"
	case IDClock:
		return "Clock agrees with the identity provider's"
	case IDLogout:
		return "Logout at the identity provider"
	case IDGroups:
		return "Group source"
	}
	return id
}

// Result is one check and what it found.
type Result struct {
	ID     string // one of the ID constants
	Name   string // the title for pages
	Status Status
	Detail string // what was found, or why it failed or was skipped, and the fix
	// Err is the failure's cause when it came from an error (a network or TLS error,
	// say), for pages that explain it in their own words; nil otherwise.
	Err error
}

// OK reports whether the check passed.
func (r Result) OK() bool { return r.Status == Pass }

// Options configure Run.
type Options struct {
	Client *http.Client     // the client that reaches the IdP; nil means a 10s timeout
	Now    func() time.Time // nil means time.Now
}

// Run checks cfg against its IdP and returns every result in order. A check whose
// prerequisite failed is reported as skipped, naming the prerequisite.
func Run(ctx context.Context, cfg config.Config, opts Options) []Result {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Client = sameHostRedirects(opts.Client)
	p := &probe{cfg: cfg, opts: opts}
	p.run(ctx)
	return p.out
}

// Failed reports whether any check failed.
func Failed(results []Result) bool {
	for _, r := range results {
		if r.Status == Fail {
			return true
		}
	}
	return false
}
