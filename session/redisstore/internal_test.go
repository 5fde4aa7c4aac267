package redisstore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/session"
)

func testCodec(t *testing.T, fill byte) *session.Codec {
	t.Helper()
	codec, err := session.NewCodec(bytes.Repeat([]byte{fill}, session.MinSecretLen))
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return codec
}

func TestTicketRoundTrip(t *testing.T) {
	codec := testCodec(t, 1)
	want := newTicket("sess-김지수")
	got, err := openTicket(codec, want.seal(codec))
	if err != nil || got != want {
		t.Fatalf("openTicket(seal(t)) = %+v, %v; want %+v", got, err, want)
	}
	if again := newTicket(want.id); again.key == want.key {
		t.Errorf("two tickets for one ID share a key")
	}
}

func TestTicketRejected(t *testing.T) {
	codec := testCodec(t, 1)
	good := newTicket("sess-1").seal(codec)
	tests := []struct {
		name  string
		value string
	}{
		{"empty", ""},
		{"garbage", "not-a-ticket"},
		{"other secret", newTicket("sess-1").seal(testCodec(t, 2))},
		{"cookie-store purpose", codec.Seal(session.PurposeSession, make([]byte, 64))},
		{"key without ID", codec.Seal(purposeTicket, make([]byte, 32))},
		{"ID too long", codec.Seal(purposeTicket, make([]byte, 32+maxIDLen+1))},
		{"truncated", good[:len(good)-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := openTicket(codec, tt.value); !errors.Is(err, session.ErrNoSession) || !errors.Is(err, session.ErrCookieRefused) {
				t.Errorf("openTicket = %v, want ErrNoSession and ErrCookieRefused", err)
			}
		})
	}
}

// TestRecordBinding checks that a record opens only with its own ticket: not with
// another session's key, nor moved under another session's name with the same key.
func TestRecordBinding(t *testing.T) {
	owner := newTicket("sess-1")
	sealed := owner.sealRecord([]byte(`{"id":"sess-1"}`))
	moved := ticket{id: "sess-2", key: owner.key}
	tests := []struct {
		name   string
		t      ticket
		record []byte
		wantOK bool
	}{
		{"owner", owner, sealed, true},
		{"another session's key", newTicket("sess-1"), sealed, false},
		{"same key, other name", moved, sealed, false},
		{"flipped bit", owner, append(bytes.Clone(sealed[:len(sealed)-1]), sealed[len(sealed)-1]^1), false},
		{"too short", owner, sealed[:10], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, err := tt.t.openRecord(tt.record)
			if ok := err == nil; ok != tt.wantOK {
				t.Fatalf("openRecord = %q, %v; want ok=%v", plain, err, tt.wantOK)
			}
			if err != nil && !errors.Is(err, session.ErrNoSession) {
				t.Errorf("openRecord error %v does not wrap ErrNoSession", err)
			}
		})
	}
}

func TestSlogAdapter(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	slogAdapter{l}.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v\n", 1, "refused")
	got := buf.String()
	for _, want := range []string{"level=WARN", `msg="redis: connection pool: failed to dial after 1 attempts: refused"`, "component=redis"} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %q, want it to contain %q", got, want)
		}
	}
}
