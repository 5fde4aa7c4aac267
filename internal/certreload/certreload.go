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
	loaded    stamp // of the files cert was loaded from
	checkedAt time.Time
}

// stamp is what the files looked like: any change of either file's modification time
// or size, newer or older (a restore with cp -p or tar keeps the old time), means reload.
type stamp struct {
	mod  [2]int64 // Unix nanoseconds
	size [2]int64
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
		if stampOf(r.certFile, r.keyFile) != r.loaded {
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
	st := stampOf(r.certFile, r.keyFile)
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("TLS_CERT_FILE=%q, TLS_KEY_FILE=%q: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.loaded = &cert, st
	return nil
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
