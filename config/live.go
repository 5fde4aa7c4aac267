package config

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/ssogate/ssogate/claims"
)

// Manager holds the configuration in force: the one place every part of a running
// gateway (the proxy's rules, readiness, the settings page) reads it from. A change
// is applied whole: Apply prepares what depends on it (a new sign-in flow) and only
// then swaps the new configuration in, so a failed change leaves the old one live.
// It is safe for concurrent use.
type Manager struct {
	cur     atomic.Pointer[Config]
	mu      sync.Mutex // serialises Apply
	prepare func(context.Context, Config) error
}

// NewManager returns a Manager with cfg live. prepare, when not nil, runs before a
// configuration is applied; when it fails the configuration is not applied.
func NewManager(cfg Config, prepare func(context.Context, Config) error) *Manager {
	m := &Manager{prepare: prepare}
	m.cur.Store(&cfg)
	return m
}

// Current returns the configuration in force. It is shared: callers must not change it.
func (m *Manager) Current() *Config { return m.cur.Load() }

// Apply makes cfg the configuration in force, after prepare (if any) succeeded.
func (m *Manager) Apply(ctx context.Context, cfg Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.prepare != nil {
		if err := m.prepare(ctx, cfg); err != nil {
			return err
		}
	}
	m.cur.Store(&cfg)
	return nil
}

// Rules are the access rules of the configuration in force.
func (m *Manager) Rules() claims.Rules { return m.Current().Rules() }

// Rules are c's access rules.
func (c *Config) Rules() claims.Rules {
	return claims.Rules{AllowedGroups: c.AllowedGroups, AllowedEmailDomains: c.AllowedEmailDomains,
		InsecureAllowUnverifiedEmail: c.InsecureAllowUnverifiedEmail}
}

// Roles is the role mapping of the configuration in force.
func (m *Manager) Roles() claims.Normalizer { return m.Current().Roles() }

// Roles is c's role mapping (ROLE_MAP, DEFAULT_ROLE), for Normalizer.Role.
func (c *Config) Roles() claims.Normalizer {
	return claims.Normalizer{RoleMap: c.RoleMap, DefaultRole: c.DefaultRole}
}

// AssertionIssuer is the issuer (and, without ASSERTION_AUDIENCE, the audience) of the
// identity assertion: PUBLIC_URL, or "ssogate" without it, since the external URL
// then varies by request and the assertion needs one fixed issuer.
func (c *Config) AssertionIssuer() (issuer, audience string) {
	issuer = "ssogate"
	if c.PublicURL != nil {
		issuer = c.PublicURL.String()
	}
	audience = c.AssertionAudience
	if audience == "" {
		audience = issuer
	}
	return issuer, audience
}
