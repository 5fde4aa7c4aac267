package restore

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/session"
)

// fixedStore loads one session for every request.
type fixedStore struct {
	session.Store
	s *session.Session
}

func (f fixedStore) Load(*http.Request) (*session.Session, error) { return f.s, nil }

func TestSessionsAcceptOnlyTheModesSessions(t *testing.T) {
	sso := &session.Session{Identity: claims.Identity{Subject: "alice", AMR: []string{claims.AMRSSO}}}
	breakGlass := func(run string) *session.Session {
		return &session.Session{Identity: claims.Identity{Subject: "local-restore:admin", AMR: []string{claims.AMRLocalRestore}, SessionID: run}}
	}
	cases := []struct {
		name       string
		restoreRun string
		s          *session.Session
		wantOK     bool
	}{
		{"SSO session while SSO is on", "", sso, true},
		{"break-glass session after LOCAL_RESTORE was removed", "", breakGlass("run1"), false},
		{"this run's break-glass session", "run2", breakGlass("run2"), true},
		{"an earlier run's break-glass session", "run2", breakGlass("run1"), false},
		{"SSO session while LOCAL_RESTORE is on", "run2", sso, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := Sessions{Store: fixedStore{s: c.s}, Run: c.restoreRun}
			got, err := store.Load(httptest.NewRequest(http.MethodGet, "/", nil))
			if c.wantOK && (err != nil || got != c.s) {
				t.Fatalf("got %v, %v; want the session", got, err)
			}
			if !c.wantOK && !errors.Is(err, session.ErrNoSession) {
				t.Fatalf("got %v, %v; want ErrNoSession", got, err)
			}
		})
	}
}
