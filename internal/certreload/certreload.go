// Package certreload serves a TLS certificate from files and picks up new files
// (certificate renewal, a rotated Kubernetes Secret) without a restart.
package certreload

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// Reloader loads a certificate and key pair and reloads them when either file changes.
type Reloader struct {
	certFile, keyFile string
	now               func() time.Time

	mu        sync.Mutex
	cert      *tls.Certificate
	modTime   time.Time
	checkedAt time.Time
}

// New loads the pair once, so a bad file is reported at start-up.
func New(certFile, keyFile string) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile, now: time.Now}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is for tls.Config.GetCertificate. Files are checked at most every
// 10 seconds; a pair that fails to load keeps the previous certificate in use.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.checkedAt) > 10*time.Second {
		r.checkedAt = now
		if mt := latestModTime(r.certFile, r.keyFile); mt.After(r.modTime) {
			_ = r.reloadLocked()
		}
	}
	return r.cert, nil
}

func (r *Reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reloadLocked()
}

func (r *Reloader) reloadLocked() error {
	mt := latestModTime(r.certFile, r.keyFile)
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("TLS_CERT_FILE=%q, TLS_KEY_FILE=%q: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.modTime = &cert, mt
	return nil
}

func latestModTime(files ...string) time.Time {
	var latest time.Time
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.ModTime().After(latest) {
			latest = st.ModTime()
		}
	}
	return latest
}
