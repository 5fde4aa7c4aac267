package oidcflow

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Manager holds the live Flow. It discovers the IdP lazily: the gateway starts while the
// IdP is down, Manager retries with backoff, and a sign-in attempt in the meantime
// triggers an immediate retry. A settings change swaps in a complete new Flow.
type Manager struct {
	build     func(context.Context) (*Flow, error)
	onAttempt func(err error, retryIn time.Duration)
	min, max  time.Duration

	cur  atomic.Pointer[Flow]
	kick chan struct{}

	mu      sync.Mutex
	lastErr error
}

// ManagerOptions configure a Manager.
type ManagerOptions struct {
	// Build creates a Flow; usually a closure over New and the configured Options.
	Build func(context.Context) (*Flow, error)
	// OnAttempt, if set, is called after each discovery attempt (for logs).
	OnAttempt  func(err error, retryIn time.Duration)
	MinBackoff time.Duration // default 500ms
	MaxBackoff time.Duration // default 30s
}

// NewManager returns a Manager; call Run to start discovery.
func NewManager(o ManagerOptions) *Manager {
	if o.MinBackoff == 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 30 * time.Second
	}
	return &Manager{
		build: o.Build, onAttempt: o.OnAttempt, min: o.MinBackoff, max: o.MaxBackoff,
		kick:    make(chan struct{}, 1),
		lastErr: fmt.Errorf("%w: discovery has not run yet", ErrNotReady),
	}
}

// Run discovers the IdP, retrying with backoff until it succeeds or ctx ends.
func (m *Manager) Run(ctx context.Context) {
	backoff := m.min
	for m.cur.Load() == nil {
		attemptCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		f, err := m.build(attemptCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil && m.cur.CompareAndSwap(nil, f) {
			m.setErr(nil)
			m.report(nil, 0)
			return
		}
		if err == nil { // a settings change won the race
			return
		}
		m.setErr(err)
		m.report(err, backoff)
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-m.kick:
			timer.Stop()
		case <-timer.C:
		}
		backoff = min(backoff*2, m.max)
	}
}

// Flow returns the live Flow, or an error wrapping ErrNotReady with the reason the
// last discovery failed. While not ready it asks Run to retry at once.
func (m *Manager) Flow() (*Flow, error) {
	if f := m.cur.Load(); f != nil {
		return f, nil
	}
	select {
	case m.kick <- struct{}{}:
	default:
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return nil, m.lastErr
}

// Ready reports nil once a Flow is live, else why not.
func (m *Manager) Ready(context.Context) error {
	_, err := m.Flow()
	return err
}

// Replace builds a Flow with build and, only if that succeeds, makes it the live one.
// On failure the current Flow stays and the error says why.
func (m *Manager) Replace(ctx context.Context, build func(context.Context) (*Flow, error)) error {
	f, err := build(ctx)
	if err != nil {
		return err
	}
	m.cur.Store(f)
	m.setErr(nil)
	return nil
}

func (m *Manager) setErr(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrNotReady, err)
	}
	m.lastErr = err
}

func (m *Manager) report(err error, retryIn time.Duration) {
	if m.onAttempt != nil {
		m.onAttempt(err, retryIn)
	}
}
