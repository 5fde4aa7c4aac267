package session

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// testSecret returns a deterministic 32-byte secret starting with b.
func testSecret(b byte) []byte {
	s := make([]byte, MinSecretLen)
	for i := range s {
		s[i] = b + byte(i)
	}
	return s
}

func newTestCodec(t testing.TB, b byte) *Codec {
	t.Helper()
	c, err := NewCodec(testSecret(b))
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

func TestNewCodecSecretLength(t *testing.T) {
	tests := []struct {
		n       int
		wantErr bool
	}{
		{0, true},
		{16, true},
		{31, true},
		{32, false},
		{64, false},
	}
	for _, tt := range tests {
		_, err := NewCodec(make([]byte, tt.n))
		if got := err != nil; got != tt.wantErr {
			t.Errorf("NewCodec(%d bytes) error = %v, want error %v", tt.n, err, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "COOKIE_SECRET") {
			t.Errorf("NewCodec(%d bytes) error = %q, want it to name COOKIE_SECRET", tt.n, err)
		}
	}
}

func TestCodecRoundTrip(t *testing.T) {
	c := newTestCodec(t, 1)
	tests := []struct {
		purpose   string
		plaintext []byte
	}{
		{PurposeSession, []byte(`{"id":"x"}`)},
		{PurposeLoginState, []byte("state and nonce")},
		{PurposeSession, nil},
		{"custom-purpose", bytes.Repeat([]byte("z"), 10000)},
	}
	for _, tt := range tests {
		sealed := c.Seal(tt.purpose, tt.plaintext)
		if strings.ContainsAny(sealed, "+/=;, \"") {
			t.Errorf("Seal(%s) = %q, want unpadded base64url", tt.purpose, sealed)
		}
		got, err := c.Open(tt.purpose, sealed)
		if err != nil {
			t.Fatalf("Open(%s): %v", tt.purpose, err)
		}
		if !bytes.Equal(got, tt.plaintext) {
			t.Errorf("Open(%s) = %q, want %q", tt.purpose, got, tt.plaintext)
		}
	}
}

func TestCodecSealUsesFreshNonce(t *testing.T) {
	c := newTestCodec(t, 1)
	a, b := c.Seal(PurposeSession, []byte("same")), c.Seal(PurposeSession, []byte("same"))
	if a == b {
		t.Errorf("two Seals of one plaintext are both %q, want different nonces", a)
	}
}

func TestCodecRejects(t *testing.T) {
	c := newTestCodec(t, 1)
	other := newTestCodec(t, 2)
	sealed := c.Seal(PurposeLoginState, []byte("login state"))
	tests := []struct {
		name, purpose, sealed string
	}{
		{"other purpose", PurposeSession, sealed},
		{"other secret", PurposeLoginState, other.Seal(PurposeLoginState, []byte("login state"))},
		{"truncated", PurposeLoginState, sealed[:len(sealed)-4]},
		{"too short", PurposeLoginState, sealed[:20]},
		{"empty", PurposeLoginState, ""},
		{"not base64", PurposeLoginState, "!!!" + sealed[3:]},
		{"padded", PurposeLoginState, sealed + "=="},
		{"extra data", PurposeLoginState, sealed + "AAAA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Open(tt.purpose, tt.sealed)
			if !errors.Is(err, ErrInvalidSeal) {
				t.Errorf("Open = %q, %v; want ErrInvalidSeal", got, err)
			}
		})
	}
}

// TestCodecRejectsEveryFlippedByte flips each byte of the decoded sealed value,
// version and nonce included.
func TestCodecRejectsEveryFlippedByte(t *testing.T) {
	c := newTestCodec(t, 1)
	sealed := c.Seal(PurposeSession, []byte("payload"))
	raw, err := c.enc.DecodeString(sealed)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x01
		if got, err := c.Open(PurposeSession, c.enc.EncodeToString(bad)); !errors.Is(err, ErrInvalidSeal) {
			t.Errorf("Open with byte %d flipped = %q, %v; want ErrInvalidSeal", i, got, err)
		}
	}
}

// TestCodecKeysDependOnSecretOnly checks that two codecs from one secret (two
// replicas sharing COOKIE_SECRET) open each other's values.
func TestCodecKeysDependOnSecretOnly(t *testing.T) {
	a, b := newTestCodec(t, 7), newTestCodec(t, 7)
	for _, purpose := range []string{PurposeSession, PurposeLoginState, "other"} {
		got, err := b.Open(purpose, a.Seal(purpose, []byte("shared")))
		if err != nil || string(got) != "shared" {
			t.Errorf("replica Open(%s) = %q, %v; want %q", purpose, got, err, "shared")
		}
	}
}

func TestCodecCopiesSecret(t *testing.T) {
	secret := testSecret(3)
	c, err := NewCodec(secret)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	sealed := c.Seal("derived-later", []byte("x"))
	secret[0] ^= 0xff
	if _, err := c.Open("derived-later", sealed); err != nil {
		t.Errorf("Open after caller changed its secret slice: %v, want the codec unaffected", err)
	}
}
