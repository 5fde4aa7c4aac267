package session_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/storetest"
)

var revokeT0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// TestMemoryRevokerConformance runs the revoker suite the Redis revoker passes too, so
// the two agree.
func TestMemoryRevokerConformance(t *testing.T) {
	storetest.RunRevoker(t, func(t *testing.T, now func() time.Time) session.Revoker {
		return session.NewMemoryRevoker(now, 100)
	})
}

func TestMemoryRevokerSID(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		revoke  string        // sid revoked at t0
		keep    time.Duration // until = t0 + keep
		advance time.Duration // clock moves on before the check
		check   string
		want    bool
	}{
		{"same sid", "sid-1", time.Hour, 0, "sid-1", true},
		{"other sid", "sid-1", time.Hour, 0, "sid-2", false},
		{"just before until", "sid-1", time.Hour, time.Hour - time.Nanosecond, "sid-1", true},
		{"at until", "sid-1", time.Hour, time.Hour, "sid-1", false},
		{"until already passed", "sid-1", -time.Second, 0, "sid-1", false},
		{"until now", "sid-1", 0, 0, "sid-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := testenv.NewClock(revokeT0)
			m := session.NewMemoryRevoker(clock.Now, 10)
			if err := m.Revoke(ctx, tt.revoke, revokeT0.Add(tt.keep)); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			clock.Advance(tt.advance)
			got, err := m.RevokedSince(ctx, tt.check, revokeT0.Add(-time.Minute))
			if err != nil || got != tt.want {
				t.Errorf("RevokedSince(%q) = %v, %v; want %v, nil", tt.check, got, err, tt.want)
			}
		})
	}
}

func TestMemoryRevokerSubject(t *testing.T) {
	ctx := context.Background()
	const iss, sub = "https://idp.example.com", "00u1abcd"
	tests := []struct {
		name     string
		issuer   string
		sub      string
		issuedAt time.Duration // relative to the revocation at t0
		advance  time.Duration
		want     bool
	}{
		{"created before", iss, sub, -time.Minute, 0, true},
		{"created at the same instant", iss, sub, 0, 0, true},
		{"created after", iss, sub, time.Millisecond, 0, false},
		{"other subject", iss, "00u9zzzz", -time.Minute, 0, false},
		{"other issuer", "https://other.example.com", sub, -time.Minute, 0, false},
		{"forgotten after until", iss, sub, -time.Minute, 2 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := testenv.NewClock(revokeT0)
			m := session.NewMemoryRevoker(clock.Now, 10)
			if err := m.RevokeSubject(ctx, iss, sub, revokeT0.Add(2*time.Hour)); err != nil {
				t.Fatalf("RevokeSubject: %v", err)
			}
			clock.Advance(tt.advance)
			got, err := m.SubjectRevokedSince(ctx, tt.issuer, tt.sub, revokeT0.Add(tt.issuedAt))
			if err != nil || got != tt.want {
				t.Errorf("SubjectRevokedSince = %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}
}

// TestMemoryRevokerRepeat revokes a subject twice: the second revocation ends the
// sessions created in between and does not shorten how long the first is kept.
func TestMemoryRevokerRepeat(t *testing.T) {
	ctx := context.Background()
	clock := testenv.NewClock(revokeT0)
	m := session.NewMemoryRevoker(clock.Now, 10)
	if err := m.RevokeSubject(ctx, "iss", "sub", revokeT0.Add(3*time.Hour)); err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	between := revokeT0.Add(30 * time.Minute)
	clock.Advance(time.Hour)
	if got, _ := m.SubjectRevokedSince(ctx, "iss", "sub", between); got {
		t.Fatalf("session created after the first revocation: got revoked, want not yet")
	}
	if err := m.RevokeSubject(ctx, "iss", "sub", revokeT0.Add(2*time.Hour)); err != nil {
		t.Fatalf("second RevokeSubject: %v", err)
	}
	checks := []struct {
		advance time.Duration
		want    bool
	}{{0, true}, {90 * time.Minute, true}, {time.Hour, false}} // t0+1h, t0+2h30, t0+3h30
	for _, c := range checks {
		clock.Advance(c.advance)
		if got, _ := m.SubjectRevokedSince(ctx, "iss", "sub", between); got != c.want {
			t.Errorf("at %s: session created in between revoked = %v, want %v", clock.Now().Sub(revokeT0), got, c.want)
		}
	}
}

func TestMemoryRevokerFloodForgetsSoonestExpiringFirst(t *testing.T) {
	ctx := context.Background()
	clock := testenv.NewClock(revokeT0)
	m := session.NewMemoryRevoker(clock.Now, 3)
	for i, d := range []time.Duration{time.Minute, time.Hour, 2 * time.Hour} {
		if err := m.Revoke(ctx, fmt.Sprint("sid-", i), revokeT0.Add(d)); err != nil {
			t.Fatalf("Revoke sid-%d: %v", i, err)
		}
	}
	if err := m.Revoke(ctx, "sid-3", revokeT0.Add(3*time.Hour)); err != nil {
		t.Fatalf("Revoke beyond max: got %v, want nil (never refused)", err)
	}
	want := map[string]bool{"sid-0": false, "sid-1": true, "sid-2": true, "sid-3": true}
	for sid, revoked := range want {
		if got, _ := m.RevokedSince(ctx, sid, revokeT0.Add(-time.Minute)); got != revoked {
			t.Errorf("%s revoked = %v, want %v (the soonest-expiring entry goes first)", sid, got, revoked)
		}
	}
	if got, want := m.Len(), 3; got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
	clock.Advance(4 * time.Hour)
	if got := m.Len(); got != 0 {
		t.Errorf("Len after every until passed = %d, want 0", got)
	}
}

func TestMemoryRevokerRefusesEmpty(t *testing.T) {
	m := session.NewMemoryRevoker(nil, 0)
	until := time.Now().Add(time.Hour)
	if err := m.Revoke(context.Background(), "", until); err == nil {
		t.Errorf("Revoke(\"\") = nil, want an error")
	}
	if err := m.RevokeSubject(context.Background(), "iss", "", until); err == nil {
		t.Errorf("RevokeSubject with empty sub = nil, want an error")
	}
	if err := m.RevokeUser(context.Background(), "", until); err == nil {
		t.Errorf("RevokeUser(\"\") = nil, want an error")
	}
}

// failingRevoker answers every question with err.
type failingRevoker struct{ session.Revoker }

var errDown = errors.New("revoker down")

func (failingRevoker) RevokedSince(context.Context, string, time.Time) (bool, error) {
	return false, errDown
}
func (failingRevoker) SubjectRevokedSince(context.Context, string, string, time.Time) (bool, error) {
	return false, errDown
}
func (failingRevoker) UserRevokedSince(context.Context, string, string, time.Time) (bool, error) {
	return false, errDown
}

// twoStepRevoker hides a MemoryRevoker's one look-up, so CheckRevoked asks it one
// question per kind of entry.
type twoStepRevoker struct{ session.Revoker }

func TestCheckRevoked(t *testing.T) {
	ctx := context.Background()
	clock := testenv.NewClock(revokeT0)
	m := session.NewMemoryRevoker(clock.Now, 10)
	if err := m.Revoke(ctx, "sid-revoked", revokeT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := m.RevokeSubject(ctx, "iss", "sub-revoked", revokeT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mallory", "Eve@Example.com"} {
		if err := m.RevokeUser(ctx, name, revokeT0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	sess := func(sid, sub string, created time.Duration) *session.Session {
		return &session.Session{
			Identity:  claims.Identity{Issuer: "iss", Subject: sub, SessionID: sid, Username: "bob", Email: "bob@example.com"},
			CreatedAt: revokeT0.Add(created),
		}
	}
	named := func(username, email string, created time.Duration) *session.Session {
		s := sess("sid-live", "sub-live", created)
		s.Identity.Username, s.Identity.Email = username, email
		return s
	}
	tests := []struct {
		name    string
		rv      session.Revoker
		s       *session.Session
		wantErr error
	}{
		{"live", m, sess("sid-live", "sub-live", -time.Minute), nil},
		{"no sid", m, sess("", "sub-live", -time.Minute), nil},
		{"sid revoked", m, sess("sid-revoked", "sub-live", -time.Minute), session.ErrNoSession},
		{"sid signed in again after", m, sess("sid-revoked", "sub-live", time.Second), nil},
		{"subject revoked before creation", m, sess("sid-live", "sub-revoked", -time.Minute), session.ErrNoSession},
		{"subject signed in again after", m, sess("sid-new", "sub-revoked", time.Second), nil},
		{"username revoked", m, named("mallory", "m@example.com", -time.Minute), session.ErrNoSession},
		{"username in another case", m, named("Mallory", "m@example.com", -time.Minute), nil},
		{"email revoked, in another case", m, named("eve", "eve@example.COM", -time.Minute), session.ErrNoSession},
		{"email revoked, no username", m, named("", "eve@example.com", -time.Minute), session.ErrNoSession},
		{"user signed in again after", m, named("mallory", "eve@example.com", time.Second), nil},
		{"one question per kind: live", twoStepRevoker{m}, sess("sid-live", "sub-live", -time.Minute), nil},
		{"one question per kind: sid", twoStepRevoker{m}, sess("sid-revoked", "sub-live", -time.Minute), session.ErrNoSession},
		{"one question per kind: subject", twoStepRevoker{m}, sess("sid-live", "sub-revoked", -time.Minute), session.ErrNoSession},
		{"one question per kind: email", twoStepRevoker{m}, named("eve", "EVE@example.com", -time.Minute), session.ErrNoSession},
		{"revoker down", failingRevoker{}, sess("sid-live", "sub-live", 0), errDown},
		{"revoker down, no sid or subject", failingRevoker{}, named("bob", "", 0), errDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := session.CheckRevoked(ctx, tt.rv, tt.s)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("CheckRevoked = %v, want %v", err, tt.wantErr)
			}
			if errors.Is(err, errDown) && errors.Is(err, session.ErrNoSession) {
				t.Errorf("CheckRevoked with a failing revoker = %v: must not read as signed out", err)
			}
		})
	}
}

// TestMemoryRevokerConcurrent exercises the revoker from several goroutines; run
// with -race it checks the locking.
func TestMemoryRevokerConcurrent(t *testing.T) {
	ctx := context.Background()
	m := session.NewMemoryRevoker(nil, 1000)
	until := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				sid := fmt.Sprintf("sid-%d-%d", g, i)
				if err := m.Revoke(ctx, sid, until); err != nil {
					t.Errorf("Revoke %s: %v", sid, err)
				}
				if ok, _ := m.RevokedSince(ctx, sid, revokeT0.Add(-time.Minute)); !ok {
					t.Errorf("RevokedSince(%s) right after Revoke = false, want true", sid)
				}
			}
		})
	}
	wg.Wait()
	if got, want := m.Len(), 400; got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
}

func TestRevokeSession(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clk := testenv.NewClock(t0)
	for _, tc := range []struct{ name, sid string }{{"with IdP session ID", "idp-sid"}, {"without IdP session ID", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			rv := session.NewMemoryRevoker(clk.Now, 0)
			mk := func(id string, created time.Time) *session.Session {
				return &session.Session{ID: id, CreatedAt: created, ExpiresAt: created.Add(time.Hour),
					Identity: claims.Identity{Issuer: "https://idp.example.com", Subject: "alice", SessionID: tc.sid}}
			}
			old, other := mk("sess-old", clk.Now().Add(-time.Minute)), mk("sess-other", clk.Now().Add(-time.Minute))
			if err := session.RevokeSession(ctx, rv, old); err != nil {
				t.Fatal(err)
			}
			if err := session.CheckRevoked(ctx, rv, old); !errors.Is(err, session.ErrNoSession) {
				t.Errorf("CheckRevoked of the signed-out session = %v, want ErrNoSession", err)
			}
			// Another session of the same IdP session ends too; without one, it does not.
			if err := session.CheckRevoked(ctx, rv, other); errors.Is(err, session.ErrNoSession) != (tc.sid != "") {
				t.Errorf("CheckRevoked of another session = %v; want ErrNoSession only when they share an IdP session", err)
			}
			clk.Advance(time.Second)
			if err := session.CheckRevoked(ctx, rv, mk("sess-new", clk.Now())); err != nil {
				t.Errorf("CheckRevoked of a session signed in after the logout = %v, want nil", err)
			}
		})
	}
}
