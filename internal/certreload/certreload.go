// Package certreload serves a TLS certificate from files and picks up new files
// (certificate renewal, a rotated Kubernetes Secret) without a restart.
//
// A pair that fails to load keeps the previous certificate in use and is logged
// once, naming TLS_CERT_FILE and TLS_KEY_FILE, the paths and the reason (never the
// files' content); each later change of the files is logged once too, including the
// reload that recovers from a failure.
package certreload

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// CheckInterval is how often GetCertificate looks at the files.
const CheckInterval = 10 * time.Second

// Log messages, stable for alerts and tests.
const (
	MsgFailed    = "TLS certificate reload failed; still serving the previous certificate"
	MsgReloaded  = "TLS certificate reloaded"
	MsgRecovered = "TLS certificate reload recovered; serving the new certificate"
)

// Reloader loads a certificate and key pair and reloads them when either file changes.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time

	mu        sync.Mutex
	cert      *tls.Certificate
	seen      stamp // the files as last read, whether they loaded or not
	failing   bool  // the files as seen did not load: cert is an older pair
	checkedAt time.Time
}

// stamp is what the files looked like: any change of either file's modification time
// or size, newer or older (a restore with cp -p or tar keeps the old time), means reload.
type stamp struct {
	mod  [2]int64 // Unix nanoseconds
	size [2]int64
}

// New loads the pair once, so a bad file is reported at start-up; log receives the
// outcome of every later reload.
func New(certFile, keyFile string, log *slog.Logger) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: log, now: time.Now}
	r.seen = stampOf(certFile, keyFile)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS_CERT_FILE=%q, TLS_KEY_FILE=%q: %w", certFile, keyFile, err)
	}
	r.cert, r.checkedAt = &cert, r.now()
	return r, nil
}

// GetCertificate is for tls.Config.GetCertificate. Files are checked at most every
// CheckInterval; a pair that fails to load keeps the previous certificate in use.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.now().Sub(r.checkedAt) > CheckInterval {
		r.checkLocked()
	}
	return r.cert, nil
}

// Check looks at the files now and loads them if either changed since it last
// looked; a change is logged once, however often Check runs.
func (r *Reloader) Check() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkLocked()
}

// Run checks the files every interval until ctx ends, so a broken pair is reported
// even while no client connects.
func (r *Reloader) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.Check()
		}
	}
}

func (r *Reloader) checkLocked() {
	r.checkedAt = r.now()
	st := stampOf(r.certFile, r.keyFile)
	if st == r.seen {
		return
	}
	// Stat before reading: a write that lands in between changes the stamp again,
	// and the next check reads the files once more.
	r.seen = st
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	files := []any{"TLS_CERT_FILE", r.certFile, "TLS_KEY_FILE", r.keyFile}
	if err != nil {
		r.failing = true
		r.log.Error(MsgFailed, append(files, "error", err.Error(), "serving_not_after", notAfter(r.cert))...)
		return
	}
	r.cert = &cert
	msg := MsgReloaded
	if r.failing {
		msg = MsgRecovered
	}
	r.failing = false
	r.log.Info(msg, append(files, "not_after", notAfter(r.cert))...)
}

// notAfter is when c's leaf certificate expires, for the log ("" when unknown).
func notAfter(c *tls.Certificate) string {
	if c == nil || c.Leaf == nil {
		return ""
	}
	return c.Leaf.NotAfter.UTC().Format(time.RFC3339)
}

// stampOf stats both files; a missing file counts as time and size zero.
func stampOf(certFile, keyFile string) stamp {
	var s stamp
	for i, f := range [2]string{certFile, keyFile} {
		if fi, err := os.Stat(f); err == nil {
			s.mod[i], s.size[i] = fi.ModTime().UnixNano(), fi.Size()
		}
	}
	return s
}
