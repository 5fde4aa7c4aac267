package config

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// sealedPrefix marks a value of settings.json sealed by a Sealer.
const sealedPrefix = "sealed:v1:"

// sealInfo is the HKDF info that derives the settings key from the cookie secret:
// a key for this purpose only, never one that also seals cookies.
const sealInfo = "ssogate settings.json secret key v1"

// sealedName reports whether the saved setting name is kept sealed in settings.json.
func sealedName(name string) bool { return name == "OIDC_CLIENT_SECRET" }

// Sealer seals the secrets of saved settings (the client secret) with
// XChaCha20-Poly1305 under a key derived from the cookie secret with HKDF-SHA256, so
// settings.json never holds them in clear. The setting's name is the associated data.
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns the Sealer of cookieSecret: the COOKIE_SECRET bytes the gateway
// seals cookies with, or the generated secret kept in DATA_DIR.
func NewSealer(cookieSecret []byte) (*Sealer, error) {
	if len(cookieSecret) == 0 {
		return nil, errors.New("config: no cookie secret to derive the settings key from")
	}
	key, err := hkdf.Key(sha256.New, cookieSecret, nil, sealInfo, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("config: derive the settings key: %w", err)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("config: settings key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal returns a copy of s whose secrets are sealed. Values already sealed stay as they are.
func (sl *Sealer) Seal(s Saved) Saved {
	out := make(Saved, len(s))
	for name, v := range s {
		if sealedName(name) && v != "" && !strings.HasPrefix(v, sealedPrefix) {
			nonce := make([]byte, sl.aead.NonceSize())
			_, _ = rand.Read(nonce)
			v = sealedPrefix + base64.RawURLEncoding.EncodeToString(sl.aead.Seal(nonce, nonce, []byte(v), []byte(name)))
		}
		out[name] = v
	}
	return out
}

// Open returns a copy of s with its sealed values opened. A secret in clear, as older
// versions saved it, is returned as is (the next Save seals it). A nil Sealer opens
// nothing: any sealed value is then an error.
func (sl *Sealer) Open(s Saved) (Saved, error) {
	out := make(Saved, len(s))
	for name, v := range s {
		if strings.HasPrefix(v, sealedPrefix) {
			plain, err := sl.open(name, strings.TrimPrefix(v, sealedPrefix))
			if err != nil {
				return nil, fmt.Errorf("%s is sealed with another COOKIE_SECRET or damaged (%w): restore COOKIE_SECRET, or enter the secret again on /oidc/settings", name, err)
			}
			v = plain
		}
		out[name] = v
	}
	return out, nil
}

func (sl *Sealer) open(name, text string) (string, error) {
	if sl == nil {
		return "", errors.New("no cookie secret")
	}
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(b) < sl.aead.NonceSize() {
		return "", errors.New("not a sealed value")
	}
	plain, err := sl.aead.Open(nil, b[:sl.aead.NonceSize()], b[sl.aead.NonceSize():], []byte(name))
	if err != nil {
		return "", errors.New("authentication failed")
	}
	return string(plain), nil
}

// sealerFor is the Sealer of c's cookie secret: COOKIE_SECRET, else the one generated
// in DATA_DIR (cookie_secret, base64). Nil when there is neither yet.
func sealerFor(c Config) *Sealer {
	secret := []byte(c.CookieSecret.Reveal())
	if len(secret) == 0 && c.DataDir != "" {
		text, err := os.ReadFile(filepath.Join(c.DataDir, "cookie_secret"))
		if err != nil {
			return nil
		}
		text = bytes.TrimSpace(text)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if secret, err = enc.DecodeString(string(text)); err == nil {
				break
			}
		}
	}
	sl, err := NewSealer(secret)
	if err != nil {
		return nil
	}
	return sl
}
