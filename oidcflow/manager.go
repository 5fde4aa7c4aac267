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
	kickEvery time.Duration

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
	// MinKickInterval is the shortest time from the start of one attempt to a retry
	// that a Flow() call asked for, so a stream of requests cannot hammer an IdP that
	// is down; default the smaller of MinBackoff and 1s, and never above MinBackoff.
	MinKickInterval time.Duration
}

// NewManager returns a Manager; call Run to start discovery.
func NewManager(o ManagerOptions) *Manager {
	if o.MinBackoff == 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MinKickInterval == 0 {
		o.MinKickInterval = time.Second
	}
	return &Manager{
		build: o.Build, onAttempt: o.OnAttempt, min: o.MinBackoff, max: o.MaxBackoff,
		kickEvery: min(o.MinKickInterval, o.MinBackoff),
		kick:      make(chan struct{}, 1),
		lastErr:   fmt.Errorf("%w: discovery has not run yet", ErrNotReady),
	}
}

// Run discovers the IdP, retrying with backoff until it succeeds or ctx ends.
func (m *Manager) Run(ctx context.Context) {
	backoff := m.min
	for m.cur.Load() == nil {
		started := time.Now()
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
		if !m.wait(ctx, backoff, started) {
			return
		}
		backoff = min(backoff*2, m.max)
	}
}

// wait blocks for backoff or, once a Flow() call asks for a retry, until kickEvery has
// passed since the attempt started (never later than backoff, as kickEvery <= min).
// It reports false when ctx ends.
func (m *Manager) wait(ctx context.Context, backoff time.Duration, started time.Time) bool {
	timer := time.NewTimer(backoff)
	defer timer.Stop()
	kick := m.kick
	for {
		select {
		case <-ctx.Done():
			return false
		case <-kick:
			kick = nil
			timer.Reset(max(0, m.kickEvery-time.Since(started)))
		case <-timer.C:
			return true
		}
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
