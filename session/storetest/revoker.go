package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
)

// revokerT0 is when the revocations in the revoker suite happen.
var revokerT0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// RunRevoker runs the conformance suite every session.Revoker must pass against revokers
// made by newRevoker, one per subtest: a fresh, empty revoker reading the time from now.
// Run against each implementation, it keeps them in agreement.
func RunRevoker(t *testing.T, newRevoker func(t *testing.T, now func() time.Time) session.Revoker) {
	t.Helper()
	ctx := context.Background()
	const iss, sub = "https://idp.example.com", "00u1abcd"
	hour := revokerT0.Add(time.Hour)
	// Each case acts with the clock at revokerT0 (setup may move it), then asks.
	tests := []struct {
		name  string
		setup func(rv session.Revoker, clk *testenv.Clock) error
		ask   func(rv session.Revoker) (bool, error)
		want  bool
	}{
		{"sid revoked",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.Revoke(ctx, "sid-1", hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.RevokedSince(ctx, "sid-1", revokerT0.Add(-time.Minute))
			}, true},
		{"session created at the sid's revocation",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.Revoke(ctx, "sid-1", hour) },
			func(rv session.Revoker) (bool, error) { return rv.RevokedSince(ctx, "sid-1", revokerT0) }, true},
		{"session created after the sid's revocation (signed in again)",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.Revoke(ctx, "sid-1", hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.RevokedSince(ctx, "sid-1", revokerT0.Add(time.Second))
			}, false},
		{"other sid",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.Revoke(ctx, "sid-1", hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.RevokedSince(ctx, "sid-2", revokerT0.Add(-time.Minute))
			}, false},
		{"sid with until already passed",
			func(rv session.Revoker, _ *testenv.Clock) error {
				return rv.Revoke(ctx, "sid-1", revokerT0.Add(-time.Second))
			},
			func(rv session.Revoker) (bool, error) {
				return rv.RevokedSince(ctx, "sid-1", revokerT0.Add(-time.Minute))
			}, false},
		{"session created before the subject's revocation",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.SubjectRevokedSince(ctx, iss, sub, revokerT0.Add(-time.Minute))
			}, true},
		{"session created at the revocation",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) { return rv.SubjectRevokedSince(ctx, iss, sub, revokerT0) }, true},
		{"session created after the revocation",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.SubjectRevokedSince(ctx, iss, sub, revokerT0.Add(time.Second))
			}, false},
		{"same subject at another issuer",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.SubjectRevokedSince(ctx, "https://other.example.com", sub, revokerT0.Add(-time.Minute))
			}, false},
		{"subject is not a sid",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) { return rv.RevokedSince(ctx, sub, revokerT0.Add(-time.Minute)) }, false},
		{"user revoked by username",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeUser(ctx, "Jisoo.Kim", hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.UserRevokedSince(ctx, "Jisoo.Kim", "", revokerT0.Add(-time.Minute))
			}, true},
		{"usernames compare exactly",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeUser(ctx, "Jisoo.Kim", hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.UserRevokedSince(ctx, "jisoo.kim", "", revokerT0.Add(-time.Minute))
			}, false},
		{"user revoked by email, in another case",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeUser(ctx, "JISOO@Example.com", hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.UserRevokedSince(ctx, "jisoo", "jisoo@example.com", revokerT0.Add(-time.Minute))
			}, true},
		{"user signed in again after the revocation",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeUser(ctx, "jisoo@example.com", hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.UserRevokedSince(ctx, "jisoo", "jisoo@example.com", revokerT0.Add(time.Second))
			}, false},
		{"username revocation is not a subject revocation",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeUser(ctx, sub, hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.SubjectRevokedSince(ctx, iss, sub, revokerT0.Add(-time.Minute))
			}, false},
		{"subject revocation is not a username revocation",
			func(rv session.Revoker, _ *testenv.Clock) error { return rv.RevokeSubject(ctx, iss, sub, hour) },
			func(rv session.Revoker) (bool, error) {
				return rv.UserRevokedSince(ctx, sub, "", revokerT0.Add(-time.Minute))
			}, false},
		{"user revocation with until already passed",
			func(rv session.Revoker, _ *testenv.Clock) error {
				return rv.RevokeUser(ctx, "jisoo", revokerT0.Add(-time.Second))
			},
			func(rv session.Revoker) (bool, error) {
				return rv.UserRevokedSince(ctx, "jisoo", "", revokerT0.Add(-time.Minute))
			}, false},
		{"second revocation ends sessions created in between",
			func(rv session.Revoker, clk *testenv.Clock) error {
				if err := rv.RevokeSubject(ctx, iss, sub, hour); err != nil {
					return err
				}
				clk.Set(revokerT0.Add(10 * time.Minute))
				return rv.RevokeSubject(ctx, iss, sub, hour)
			},
			func(rv session.Revoker) (bool, error) {
				return rv.SubjectRevokedSince(ctx, iss, sub, revokerT0.Add(5*time.Minute))
			}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := testenv.NewClock(revokerT0)
			rv := newRevoker(t, clk.Now)
			if err := tt.setup(rv, clk); err != nil {
				t.Fatalf("setup: %v", err)
			}
			got, err := tt.ask(rv)
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}
	t.Run("one lookup agrees with one per kind", func(t *testing.T) {
		clk := testenv.NewClock(revokerT0)
		rv := newRevoker(t, clk.Now)
		one, ok := rv.(session.OneLookupRevoker)
		if !ok {
			t.Fatalf("%T does not implement session.OneLookupRevoker", rv)
		}
		if err := rv.Revoke(ctx, "sid-1", hour); err != nil {
			t.Fatal(err)
		}
		clk.Set(revokerT0.Add(time.Minute))
		if err := rv.RevokeSubject(ctx, iss, sub, hour); err != nil {
			t.Fatal(err)
		}
		clk.Set(revokerT0.Add(2 * time.Minute))
		if err := rv.RevokeUser(ctx, "Jisoo@Example.com", hour); err != nil {
			t.Fatal(err)
		}
		at := []time.Time{revokerT0.Add(-time.Second), revokerT0.Add(30 * time.Second), revokerT0.Add(90 * time.Second), revokerT0.Add(3 * time.Minute)}
		for _, sid := range []string{"", "sid-1", "sid-2"} {
			for _, s := range []string{"", sub, "other"} {
				for _, u := range [][2]string{{"", ""}, {"Jisoo@Example.com", ""}, {"jisoo", "jisoo@example.COM"}, {"bob", "bob@example.com"}} {
					for _, at := range at {
						q := session.Lookup{SID: sid, Issuer: iss, Subject: s, Username: u[0], Email: u[1], IssuedAt: at}
						got, err := one.SessionRevokedSince(ctx, q)
						if err != nil {
							t.Fatalf("SessionRevokedSince: %v", err)
						}
						var want session.Revoked
						if sid != "" {
							want.SID, _ = rv.RevokedSince(ctx, sid, at)
						}
						if s != "" {
							want.Subject, _ = rv.SubjectRevokedSince(ctx, iss, s, at)
						}
						if u != [2]string{} {
							want.User, _ = rv.UserRevokedSince(ctx, u[0], u[1], at)
						}
						if got != want {
							t.Errorf("SessionRevokedSince(%+v) = %+v; one question per kind says %+v", q, got, want)
						}
					}
				}
			}
		}
	})
	t.Run("issued IdP sessions", func(t *testing.T) { runIssued(t, newRevoker) })
}

// runIssued checks Issued and IssuedUntil against a revoker made by newRevoker.
func runIssued(t *testing.T, newRevoker func(t *testing.T, now func() time.Time) session.Revoker) {
	t.Helper()
	ctx := context.Background()
	clk := testenv.NewClock(revokerT0)
	rv := newRevoker(t, clk.Now)
	if _, ok, err := rv.IssuedUntil(ctx, "never-issued"); ok || err != nil {
		t.Fatalf("IssuedUntil of a sid never issued: got %v, %v; want false, nil", ok, err)
	}
	if err := rv.Issued(ctx, "sid-1", revokerT0.Add(2*time.Hour)); err != nil {
		t.Fatalf("Issued: %v", err)
	}
	if err := rv.Issued(ctx, "sid-1", revokerT0.Add(time.Hour)); err != nil {
		t.Fatalf("Issued again with an earlier end: %v", err)
	}
	until, ok, err := rv.IssuedUntil(ctx, "sid-1")
	if err != nil || !ok || !until.Equal(revokerT0.Add(2*time.Hour)) {
		t.Fatalf("IssuedUntil: got %s, %v, %v; want %s (the later end), true, nil", until, ok, err, revokerT0.Add(2*time.Hour))
	}
	if err := rv.Issued(ctx, "", revokerT0.Add(time.Hour)); err == nil {
		t.Errorf("Issued(\"\"): got nil, want an error")
	}
}
