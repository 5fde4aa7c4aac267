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

// touchingStore counts the sessions it is told are in use.
type touchingStore struct {
	fixedStore
	touched *int
}

func (s touchingStore) Touch(http.ResponseWriter, *http.Request, *session.Session) error {
	*s.touched++
	return nil
}

// TestSessionsPassTouchOn: the mode's view of the store still re-issues a used
// cookie session (SESSION_IDLE_TIMEOUT), and does nothing for a store that does not.
func TestSessionsPassTouchOn(t *testing.T) {
	sso := &session.Session{Identity: claims.Identity{Subject: "alice", AMR: []string{claims.AMRSSO}}}
	n := 0
	var store session.Store = Sessions{Store: touchingStore{fixedStore{s: sso}, &n}}
	toucher, ok := store.(session.Toucher)
	if !ok {
		t.Fatal("restore.Sessions is not a session.Toucher: the cookie store would never be re-issued")
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if err := toucher.Touch(httptest.NewRecorder(), req, sso); err != nil || n != 1 {
		t.Errorf("Touch through Sessions: %v, store touched %d times; want nil, 1", err, n)
	}
	plain := Sessions{Store: fixedStore{s: sso}}
	if err := plain.Touch(httptest.NewRecorder(), req, sso); err != nil {
		t.Errorf("Touch with a store that keeps no last use: %v, want nil", err)
	}
}
