package oidcflow

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// attempt is one OnAttempt report.
type attempt struct {
	err     error
	retryIn time.Duration
}

// managerHarness runs a Manager whose builds return what the test sends on outcomes.
// The Flows are bare values: the Manager only hands them out.
type managerHarness struct {
	m        *Manager
	outcomes chan error // nil: the build succeeds with flow
	attempts chan attempt
	building chan struct{} // a build started
	builds   atomic.Int64
	flow     *Flow
	cancel   context.CancelFunc // stops Run
	done     chan struct{}      // closed when Run returns
}

func startManager(t *testing.T, minBackoff, maxBackoff time.Duration) *managerHarness {
	t.Helper()
	h := &managerHarness{outcomes: make(chan error), attempts: make(chan attempt, 16), building: make(chan struct{}, 16),
		flow: new(Flow), done: make(chan struct{})}
	h.m = NewManager(ManagerOptions{
		Build: func(ctx context.Context) (*Flow, error) {
			h.builds.Add(1)
			h.building <- struct{}{}
			select {
			case err := <-h.outcomes:
				if err != nil {
					return nil, err
				}
				return h.flow, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
		OnAttempt:       func(err error, retryIn time.Duration) { h.attempts <- attempt{err, retryIn} },
		MinBackoff:      minBackoff,
		MaxBackoff:      maxBackoff,
		MinKickInterval: time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	go func() {
		defer close(h.done)
		h.m.Run(ctx)
	}()
	return h
}

// next returns the next attempt report, failing the test after a bounded wait.
func (h *managerHarness) next(t *testing.T) attempt {
	t.Helper()
	select {
	case a := <-h.attempts:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a discovery attempt")
		return attempt{}
	}
}

func TestManagerRetriesUntilReady(t *testing.T) {
	h := startManager(t, time.Millisecond, 2*time.Millisecond)
	for i, tc := range []struct {
		cause     string
		wantRetry time.Duration
	}{
		{"dial tcp 127.0.0.1:1: connection refused", time.Millisecond},
		{"discovery: HTTP 503", 2 * time.Millisecond},
	} {
		h.outcomes <- errors.New(tc.cause)
		if a := h.next(t); a.err == nil || a.retryIn != tc.wantRetry {
			t.Fatalf("attempt %d reported (%v, %v), want (%s, %v)", i, a.err, a.retryIn, tc.cause, tc.wantRetry)
		}
		f, err := h.m.Flow()
		if f != nil || !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), tc.cause) {
			t.Fatalf("Flow after failure %d = %p, %v; want ErrNotReady naming %q", i, f, err, tc.cause)
		}
		if got := Reason(err); got != "idp_unreachable" {
			t.Errorf("Reason = %q, want idp_unreachable", got)
		}
		if err := h.m.Ready(context.Background()); err == nil {
			t.Errorf("Ready = nil while discovery fails")
		}
	}
	h.outcomes <- nil
	if a := h.next(t); a.err != nil {
		t.Fatalf("third attempt reported %v, want success", a.err)
	}
	if f, err := h.m.Flow(); f != h.flow || err != nil {
		t.Fatalf("Flow after success = %p, %v; want the built Flow", f, err)
	}
	if err := h.m.Ready(context.Background()); err != nil {
		t.Errorf("Ready = %v, want nil", err)
	}
	waitFor(t, h.done, "Run to return once ready")
	if got := h.builds.Load(); got != 3 {
		t.Errorf("Build called %d times, want 3", got)
	}
}

func TestManagerNotReadyBeforeFirstAttempt(t *testing.T) {
	m := NewManager(ManagerOptions{Build: func(context.Context) (*Flow, error) { return nil, errors.New("unused") }})
	if f, err := m.Flow(); f != nil || !errors.Is(err, ErrNotReady) {
		t.Fatalf("Flow before Run = %p, %v; want ErrNotReady", f, err)
	}
}

func TestManagerFlowKicksRetry(t *testing.T) {
	h := startManager(t, time.Hour, time.Hour)
	h.outcomes <- errors.New("connection refused")
	if a := h.next(t); a.err == nil || a.retryIn != time.Hour {
		t.Fatalf("first attempt reported (%v, %v), want a failure retried in 1h", a.err, a.retryIn)
	}
	if _, err := h.m.Flow(); !errors.Is(err, ErrNotReady) {
		t.Fatalf("Flow = %v, want ErrNotReady", err)
	}
	// The sign-in attempt above asked for a retry now, not in an hour.
	select {
	case h.outcomes <- nil:
	case <-time.After(5 * time.Second):
		t.Fatal("Flow() while not ready did not start a new discovery attempt")
	}
	if a := h.next(t); a.err != nil {
		t.Fatalf("retry reported %v, want success", a.err)
	}
	if f, err := h.m.Flow(); f != h.flow || err != nil {
		t.Fatalf("Flow = %p, %v; want the built Flow", f, err)
	}
}

func TestManagerReplace(t *testing.T) {
	m := NewManager(ManagerOptions{Build: func(context.Context) (*Flow, error) { return nil, errors.New("unused") }})
	f1, f2 := new(Flow), new(Flow)
	build := func(f *Flow, err error) func(context.Context) (*Flow, error) {
		return func(context.Context) (*Flow, error) { return f, err }
	}
	if err := m.Replace(context.Background(), build(f1, nil)); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if got, err := m.Flow(); got != f1 || err != nil {
		t.Fatalf("Flow after Replace = %p, %v; want the new Flow", got, err)
	}
	bad := &IssuerMismatchError{Configured: "https://a", Discovered: "https://b"}
	if err := m.Replace(context.Background(), build(nil, bad)); !errors.Is(err, bad) {
		t.Fatalf("Replace with a failing build = %v, want its error", err)
	}
	if got, err := m.Flow(); got != f1 || err != nil {
		t.Fatalf("Flow after a failed Replace = %p, %v; want the old Flow kept", got, err)
	}
	if err := m.Replace(context.Background(), build(f2, nil)); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if got, _ := m.Flow(); got != f2 {
		t.Fatalf("Flow = %p, want the second Flow %p", got, f2)
	}
}

func TestManagerSettingsChangeWinsOverSlowDiscovery(t *testing.T) {
	h := startManager(t, time.Hour, time.Hour)
	waitFor(t, h.building, "the first build")
	replaced := new(Flow)
	if err := h.m.Replace(context.Background(), func(context.Context) (*Flow, error) { return replaced, nil }); err != nil {
		t.Fatal(err)
	}
	h.outcomes <- nil // the slow discovery of the old settings now succeeds
	waitFor(t, h.done, "Run to return")
	if got, _ := h.m.Flow(); got != replaced {
		t.Errorf("Flow = %p, want the Flow from the settings change %p", got, replaced)
	}
}

func TestManagerRunStopsWithContext(t *testing.T) {
	for _, tc := range []struct {
		name  string
		block bool // cancel while Build runs rather than during the backoff
	}{
		{"during backoff", false},
		{"during build", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startManager(t, time.Hour, time.Hour)
			waitFor(t, h.building, "the first build")
			if !tc.block {
				h.outcomes <- errors.New("connection refused")
				h.next(t)
			}
			h.cancel()
			waitFor(t, h.done, "Run to return after cancel")
			if _, err := h.m.Flow(); !errors.Is(err, ErrNotReady) {
				t.Errorf("Flow after cancel = %v, want ErrNotReady", err)
			}
			if got := h.builds.Load(); got != 1 {
				t.Errorf("Build called %d times, want 1", got)
			}
		})
	}
}

func TestManagerKicksDoNotHammerTheIdP(t *testing.T) {
	const every = 50 * time.Millisecond
	var builds atomic.Int64
	first := make(chan struct{}, 1)
	m := NewManager(ManagerOptions{
		Build: func(context.Context) (*Flow, error) {
			builds.Add(1)
			select {
			case first <- struct{}{}:
			default:
			}
			return nil, errors.New("connection refused")
		},
		MinBackoff: time.Hour, MaxBackoff: time.Hour, MinKickInterval: every,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, first, "the first build")
	// A stream of sign-in attempts while the IdP is down.
	start := time.Now()
	for time.Since(start) < 3*every {
		if _, err := m.Flow(); !errors.Is(err, ErrNotReady) {
			t.Fatalf("Flow = %v, want ErrNotReady", err)
		}
	}
	elapsed := time.Since(start)
	if got, limit := builds.Load(), 2+int64(elapsed/every); got > limit {
		t.Errorf("Build ran %d times in %v of requests, want at most %d (one per %v)", got, elapsed, limit, every)
	}
	if got := builds.Load(); got < 2 {
		t.Errorf("Build ran %d times, want the requests to have caused a retry", got)
	}
}
