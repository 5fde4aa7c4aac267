// Package ops serves the gateway's operations listener: /healthz (the process is alive),
// /readyz (every readiness check passes) and /metrics (Prometheus). It also defines the
// gateway's metric collectors. Checks are plain functions passed in by main, so this
// package knows nothing of the IdP or the session store.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultCheckTimeout bounds each readiness check when Options.CheckTimeout is zero.
const DefaultCheckTimeout = 2 * time.Second

// Check is one readiness condition, e.g. "idp" (discovery loaded) or "session_store"
// (Redis reachable). Func returns nil when ready; its error text is shown on /readyz, so
// it must not contain secrets. Func should honour ctx; one that does not is abandoned
// when the timeout expires and reported as timed out.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Options configures a Server. All fields are optional.
type Options struct {
	Checks       []Check              // readiness checks, run concurrently on every /readyz
	Registry     *prometheus.Registry // served on /metrics; nil means /metrics answers 404
	Logger       *slog.Logger         // logs readiness changes and metric exposition errors
	CheckTimeout time.Duration        // per-check bound; DefaultCheckTimeout when zero
}

// Server answers health, readiness and metrics requests. It is safe for concurrent use.
type Server struct {
	checks  []Check
	names   []string // unique report key per check
	timeout time.Duration
	log     *slog.Logger
	handler http.Handler

	mu        sync.Mutex
	lastReady *bool // readiness last reported, to log changes only
}

// New builds a Server from opts.
func New(opts Options) *Server {
	s := &Server{
		checks:  append([]Check(nil), opts.Checks...),
		timeout: opts.CheckTimeout,
		log:     opts.Logger,
	}
	if s.timeout <= 0 {
		s.timeout = DefaultCheckTimeout
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.names = uniqueNames(s.checks)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if opts.Registry != nil {
		opts.Registry.MustRegister(readinessCollector{s})
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
			Registry: opts.Registry,
		}))
	}
	s.handler = mux
	return s
}

// uniqueNames gives every check a distinct, non-empty key in the /readyz report, so a
// passing check can never hide a failing one of the same name.
func uniqueNames(checks []Check) []string {
	names := make([]string, len(checks))
	seen := make(map[string]bool, len(checks))
	for i, c := range checks {
		name := c.Name
		if name == "" {
			name = "check" + strconv.Itoa(i+1)
		}
		for n := 2; seen[name]; n++ {
			name = c.Name + "#" + strconv.Itoa(n)
		}
		seen[name] = true
		names[i] = name
	}
	return names
}

// Handler returns the handler for the ops listener.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readiness is the /readyz response body.
type readiness struct {
	Status string            `json:"status"` // "ready" or "not ready"
	Checks map[string]string `json:"checks"` // check name → "ok" or the reason it failed
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	errs := s.runChecks(r.Context())
	body := readiness{Status: "ready", Checks: make(map[string]string, len(errs))}
	status := http.StatusOK
	for i, err := range errs {
		if err != nil {
			body.Status, status = "not ready", http.StatusServiceUnavailable
			body.Checks[s.names[i]] = err.Error()
			continue
		}
		body.Checks[s.names[i]] = "ok"
	}
	s.logChange(status == http.StatusOK, body.Checks)

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// runChecks runs every check concurrently and returns their results in order.
func (s *Server) runChecks(ctx context.Context) []error {
	errs := make([]error, len(s.checks))
	var wg sync.WaitGroup
	for i, c := range s.checks {
		wg.Go(func() { errs[i] = s.runCheck(ctx, c) })
	}
	wg.Wait()
	return errs
}

// runCheck runs one check within the timeout. A check that ignores its context is left
// to finish on its own; its late result is discarded.
func (s *Server) runCheck(parent context.Context, c Check) error {
	if c.Func == nil {
		return errors.New("check has no function")
	}
	ctx, cancel := context.WithTimeout(parent, s.timeout)
	defer cancel()
	done := make(chan error, 1) // buffered: an abandoned check must not block forever
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("check panicked: %v", p)
			}
		}()
		done <- c.Func(ctx)
	}()
	select {
	case err := <-done:
		if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return fmt.Errorf("timed out after %s: %w", s.timeout, err)
		}
		return err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("timed out after %s", s.timeout)
		}
		return fmt.Errorf("not finished: %w", ctx.Err())
	}
}

// logChange logs when readiness flips, not on every probe.
func (s *Server) logChange(ready bool, checks map[string]string) {
	s.mu.Lock()
	changed := s.lastReady == nil || *s.lastReady != ready
	s.lastReady = &ready
	s.mu.Unlock()
	if !changed {
		return
	}
	if ready {
		s.log.Info("gateway is ready", "checks", checks)
		return
	}
	s.log.Warn("gateway is not ready", "checks", checks)
}
