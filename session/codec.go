package session

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// Purposes a Codec seals values for. Each purpose has its own derived key and is
// bound as associated data, so a value sealed for one purpose never opens as another.
const (
	PurposeSession    = "session"     // the session cookie
	PurposeLoginState = "login-state" // the short-lived login-state cookie
	PurposeLogoutHint = "logout-hint" // the ID token kept for RP-initiated logout
)

// MinSecretLen is the shortest cookie secret NewCodec accepts, in bytes.
const MinSecretLen = 32

// ErrInvalidSeal means a sealed value could not be opened: it is malformed,
// truncated, tampered with, sealed for another purpose or with another secret.
var ErrInvalidSeal = errors.New("session: sealed value is invalid")

const (
	// sealVersion is the first byte of every sealed value, so the format can change.
	sealVersion = 1
	// hkdfInfoPrefix is prepended to the purpose to form the HKDF info string.
	hkdfInfoPrefix = "ssogate cookie key v1: "
	// sealHeaderLen is the version byte plus the XChaCha20 nonce.
	sealHeaderLen = 1 + chacha20poly1305.NonceSizeX
	// sealOverhead is what sealing adds to a plaintext, before base64.
	sealOverhead = sealHeaderLen + chacha20poly1305.Overhead
)

// Codec seals and opens small values (cookies) with XChaCha20-Poly1305. Keys are
// derived from the cookie secret with HKDF-SHA256, one per purpose. A Codec is
// immutable after NewCodec and safe for concurrent use.
//
// A sealed value is base64url (no padding) of: version byte, 24-byte random nonce,
// ciphertext and tag. The associated data is the version byte and the purpose.
type Codec struct {
	secret []byte                // kept to derive keys for purposes not known in advance
	keys   map[string]purposeKey // read-only after NewCodec
	enc    *base64.Encoding
}

// purposeKey is the AEAD and associated data for one purpose.
type purposeKey struct {
	aead cipher.AEAD
	ad   []byte
}

// NewCodec derives the per-purpose keys from secret, which must hold at least
// MinSecretLen bytes (decoded, not base64).
func NewCodec(secret []byte) (*Codec, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("session: cookie secret has %d bytes, need at least %d (set COOKIE_SECRET to 32+ random bytes in base64, e.g. from `openssl rand -base64 32`)", len(secret), MinSecretLen)
	}
	c := &Codec{
		secret: append([]byte(nil), secret...),
		keys:   make(map[string]purposeKey, 3),
		enc:    base64.RawURLEncoding.Strict(),
	}
	for _, purpose := range []string{PurposeSession, PurposeLoginState, PurposeLogoutHint} {
		k, err := c.derive(purpose)
		if err != nil {
			return nil, err
		}
		c.keys[purpose] = k
	}
	return c, nil
}

// derive computes the key for purpose from the secret.
func (c *Codec) derive(purpose string) (purposeKey, error) {
	key, err := hkdf.Key(sha256.New, c.secret, nil, hkdfInfoPrefix+purpose, chacha20poly1305.KeySize)
	if err != nil {
		return purposeKey{}, fmt.Errorf("session: derive %q key: %w", purpose, err)
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return purposeKey{}, fmt.Errorf("session: %q cipher: %w", purpose, err)
	}
	ad := append([]byte{sealVersion}, purpose...)
	return purposeKey{aead: aead, ad: ad}, nil
}

// key returns the precomputed key for purpose, deriving one for other purposes.
func (c *Codec) key(purpose string) (purposeKey, error) {
	if k, ok := c.keys[purpose]; ok {
		return k, nil
	}
	return c.derive(purpose)
}

// Seal encrypts and authenticates plaintext for purpose and returns it as
// unpadded base64url, safe as a cookie value. Every call uses a fresh random nonce.
func (c *Codec) Seal(purpose string, plaintext []byte) string {
	k, err := c.key(purpose)
	if err != nil {
		// Unreachable: derivation fails only for a wrong key size, which is a constant.
		panic(err)
	}
	buf := make([]byte, sealHeaderLen, sealOverhead+len(plaintext))
	buf[0] = sealVersion
	rand.Read(buf[1:sealHeaderLen]) // never returns an error
	buf = k.aead.Seal(buf, buf[1:sealHeaderLen], plaintext, k.ad)
	return c.enc.EncodeToString(buf)
}

// Open decodes and decrypts a value sealed for purpose. Any failure wraps
// ErrInvalidSeal.
func (c *Codec) Open(purpose, sealed string) ([]byte, error) {
	raw, err := c.decode(sealed)
	if err != nil {
		return nil, err
	}
	return c.openRaw(purpose, raw)
}

// decode turns the base64 parts of a sealed value, concatenated, into bytes with
// one allocation: the encoded copy and the decoded output share one buffer.
func (c *Codec) decode(parts ...string) ([]byte, error) {
	encLen := 0
	for _, p := range parts {
		encLen += len(p)
	}
	decLen := c.enc.DecodedLen(encLen)
	if decLen < sealOverhead {
		return nil, fmt.Errorf("%w: %d characters is too short", ErrInvalidSeal, encLen)
	}
	buf := make([]byte, decLen+encLen)
	src := buf[decLen:decLen]
	for _, p := range parts {
		src = append(src, p...)
	}
	n, err := c.enc.Decode(buf[:decLen], src)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %w", ErrInvalidSeal, err)
	}
	return buf[:n], nil
}

// openRaw decrypts decoded sealed bytes in place.
func (c *Codec) openRaw(purpose string, raw []byte) ([]byte, error) {
	if len(raw) < sealOverhead {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrInvalidSeal, len(raw))
	}
	if raw[0] != sealVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrInvalidSeal, raw[0])
	}
	k, err := c.key(purpose)
	if err != nil {
		return nil, err
	}
	ct := raw[sealHeaderLen:]
	plain, err := k.aead.Open(ct[:0], raw[1:sealHeaderLen], ct, k.ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidSeal, purpose, err)
	}
	return plain, nil
}
