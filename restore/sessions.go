package restore

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/session"
)

// Sessions is the session store as the gateway's mode sees it. With SSO on (Run ""),
// a break-glass session (amr local_restore) left from a LOCAL_RESTORE run is no
// session: removing LOCAL_RESTORE ends break-glass access even though the cookie key
// outlives the run. With LOCAL_RESTORE on, only break-glass sessions of this very run
// count: SSO is off, and like the temporary password a break-glass session ends with
// the process.
type Sessions struct {
	session.Store
	Run string // Handler.RunID while LOCAL_RESTORE is on; "" while SSO is on
}

// Load returns the request's session, or ErrNoSession for one the mode does not accept.
func (s Sessions) Load(r *http.Request) (*session.Session, error) {
	sess, err := s.Store.Load(r)
	if err != nil {
		return nil, err
	}
	breakGlass := slices.Contains(sess.Identity.AMR, claims.AMRLocalRestore)
	switch {
	case s.Run == "" && breakGlass:
		return nil, fmt.Errorf("%w: a break-glass session is not valid while LOCAL_RESTORE is off", session.ErrNoSession)
	case s.Run != "" && (!breakGlass || sess.Identity.SessionID != s.Run):
		return nil, fmt.Errorf("%w: only this run's break-glass sessions are valid while LOCAL_RESTORE is on", session.ErrNoSession)
	}
	return sess, nil
}

var _ session.Toucher = Sessions{}

// Touch passes a used session on to a store that keeps sessions alive by re-issuing
// them (session.Toucher: the cookie store with SESSION_IDLE_TIMEOUT); with any other
// store it does nothing. Without it a cookie session would idle out while in use.
func (s Sessions) Touch(w http.ResponseWriter, r *http.Request, sess *session.Session) error {
	if t, ok := s.Store.(session.Toucher); ok {
		return t.Touch(w, r, sess)
	}
	return nil
}
