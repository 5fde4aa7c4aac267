package session

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretFileName is the file in DATA_DIR that keeps the generated cookie secret.
const SecretFileName = "cookie_secret"

// generatedSecretLen is the size of a generated cookie secret, in bytes.
const generatedSecretLen = 32

// fixHint tells the operator how to get past a cookie-secret problem.
const fixHint = "set COOKIE_SECRET to 32+ random bytes in base64 (shared by all replicas), or make DATA_DIR writable"

// LoadOrCreateSecret returns the cookie secret kept in dataDir/cookie_secret
// (base64). When the file is missing it creates dataDir (0700) and the file (0600)
// holding 32 random bytes. The file appears atomically and exclusively: processes
// racing to create it all end up with the secret of the one that won.
func LoadOrCreateSecret(dataDir string) ([]byte, error) {
	if dataDir == "" {
		return nil, fmt.Errorf("session: no DATA_DIR to keep the cookie secret in: %s", fixHint)
	}
	path := filepath.Join(dataDir, SecretFileName)
	secret, err := readSecret(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("session: create DATA_DIR for the cookie secret: %w; %s", err, fixHint)
	}
	return createSecret(dataDir, path)
}

// readSecret reads and decodes a secret file.
func readSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("session: read cookie secret: %w; %s", err, fixHint)
	}
	text := bytes.TrimSpace(data)
	secret, err := decodeBase64(text)
	if err != nil {
		return nil, fmt.Errorf("session: cookie secret file %s is not base64 (%w): delete it to generate a new one, or %s", path, err, fixHint)
	}
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("session: cookie secret file %s holds %d bytes, need at least %d: delete it to generate a new one, or %s", path, len(secret), MinSecretLen, fixHint)
	}
	return secret, nil
}

// decodeBase64 accepts standard or URL-safe base64, padded or not.
func decodeBase64(text []byte) ([]byte, error) {
	var firstErr error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		out := make([]byte, enc.DecodedLen(len(text)))
		n, err := enc.Decode(out, text)
		if err == nil {
			return out[:n], nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// createSecret generates a secret and publishes it at path without ever exposing
// a partly written file: it writes a private temporary file, then hard-links it
// into place, which fails if path already exists. When another process got there
// first, its secret is returned instead.
func createSecret(dir, path string) ([]byte, error) {
	secret := make([]byte, generatedSecretLen)
	rand.Read(secret) // never returns an error
	content := []byte(base64.StdEncoding.EncodeToString(secret) + "\n")

	tmp, err := os.CreateTemp(dir, "."+SecretFileName+".tmp-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("session: create cookie secret in DATA_DIR: %w; %s", err, fixHint)
	}
	defer os.Remove(tmp.Name())
	if err := writeAndClose(tmp, content); err != nil {
		return nil, fmt.Errorf("session: write cookie secret: %w; %s", err, fixHint)
	}

	err = os.Link(tmp.Name(), path)
	switch {
	case err == nil:
		syncDir(dir)
		return secret, nil
	case errors.Is(err, fs.ErrExist):
		return readSecret(path)
	default:
		// The filesystem has no hard links: fall back to an exclusive create.
		return createExclusive(dir, path, secret, content)
	}
}

// createExclusive writes content to path with O_EXCL; a concurrent reader may
// see the file before it is complete, which hard links avoid where available.
func createExclusive(dir, path string, secret, content []byte) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readSecret(path)
	}
	if err != nil {
		return nil, fmt.Errorf("session: create cookie secret: %w; %s", err, fixHint)
	}
	if err := writeAndClose(f, content); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("session: write cookie secret: %w; %s", err, fixHint)
	}
	syncDir(dir)
	return secret, nil
}

// writeAndClose writes content, flushes it to disk and closes f.
func writeAndClose(f *os.File, content []byte) error {
	_, err := f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a new directory entry durable. It is best effort: some
// filesystems cannot sync directories, and the file itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
