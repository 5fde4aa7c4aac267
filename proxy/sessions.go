package proxy

// The admin session pages: GET /oidc/sessions lists who is signed in (Redis store),
// POST /oidc/sessions/revoke signs one user out everywhere.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/httperr"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/web"
)

// sessionsPerPage is how many sessions one page of the listing shows.
const sessionsPerPage = 50

// maxSessionsPage is the last page number the listing accepts: 50 million sessions,
// and far from the offset's overflow.
const maxSessionsPage = 1_000_000

// SessionLister is a server-side store that can list its sessions and end one
// user's sessions everywhere (the Redis store).
type SessionLister interface {
	List(ctx context.Context, offset, limit int) ([]session.Listed, int64, error)
	SignOutUser(ctx context.Context, who string) ([]session.Listed, int, error)
}

// cookieStoreNote says what the cookie store cannot list.
const cookieStoreNote = "Sessions are kept in the browsers' encrypted cookies (SESSION_STORE=cookie), so the gateway holds no list of who is signed in. Signing a user out everywhere works by subject (sub), username (exact) or email (any case): the revocation list refuses every cookie of that user issued before now."

// sessionsJSON is the JSON answer of GET /oidc/sessions.
type sessionsJSON struct {
	Store     string           `json:"store"` // "redis" or "cookie"
	Listable  bool             `json:"listable"`
	Note      string           `json:"note,omitempty"`
	Sessions  []session.Listed `json:"sessions"`
	Total     int64            `json:"total"`
	Page      int              `json:"page"`
	PerPage   int              `json:"per_page"`
	CSRFToken string           `json:"csrf_token"`
}

// lister returns the store's listing, or nil with the cookie store.
func (g *Gateway) lister() SessionLister {
	l, _ := g.opts.Server.(SessionLister)
	return l
}

// sessions serves GET /oidc/sessions to administrators.
func (g *Gateway) sessions(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	page := 1
	if v := r.URL.Query().Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSessionsPage {
			return &httperr.HTTPError{Status: http.StatusBadRequest, Title: "No such page", Code: "bad_page",
				Message: fmt.Sprintf("The page number must be a whole number from 1 to %d.", maxSessionsPage)}
		}
		page = n
	}
	out := sessionsJSON{Store: "cookie", Sessions: []session.Listed{}, Page: page, PerPage: sessionsPerPage}
	if g.opts.CSRF != nil {
		out.CSRFToken = g.opts.CSRF.Token(w, r)
	}
	if l := g.lister(); l != nil {
		list, total, err := l.List(r.Context(), (page-1)*sessionsPerPage, sessionsPerPage)
		if err != nil {
			return storeError(err)
		}
		out.Store, out.Listable, out.Sessions, out.Total = "redis", true, list, total
	} else {
		out.Note = cookieStoreNote
	}
	if !httperr.WantsHTML(r) {
		httperr.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	return g.opts.Renderer.Render(w, r, http.StatusOK, "sessions", web.SessionsPage{
		Listable: out.Listable, Sessions: out.Sessions, Total: out.Total, Page: page,
		Next: int64(page*sessionsPerPage) < out.Total, CSRFToken: out.CSRFToken, Banner: g.opts.Banner})
}

// revokeJSON is the JSON answer of POST /oidc/sessions/revoke.
type revokeJSON struct {
	User          string           `json:"user"`
	Subjects      []session.Listed `json:"subjects"`
	SessionsEnded int              `json:"sessions_ended"`
	Revoked       bool             `json:"revoked"` // cookie store: the user is on the revocation list
	// RevokedAs names the revocation list's entries (cookie store): "sub" (at the
	// configured issuer), "username" and "email".
	RevokedAs []string `json:"revoked_as,omitempty"`
}

// revokeFormBytes bounds the revoke form: a CSRF token and one user name.
const revokeFormBytes = 16 << 10

// revokeSessions serves POST /oidc/sessions/revoke: sign the user named by the form
// field "user" (sub, username or email) out everywhere.
func (g *Gateway) revokeSessions(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	if err := httperr.ReadForm(w, r, revokeFormBytes, "sign-out form"); err != nil {
		return err
	}
	if g.opts.CSRF != nil {
		if err := g.opts.CSRF.Check(r); err != nil {
			return &httperr.HTTPError{Status: http.StatusForbidden, Title: "Request refused", Code: "csrf",
				Message: "The form is stale or came from another site. Reload the sessions page and try again.", Err: err}
		}
	}
	who := strings.TrimSpace(r.PostFormValue("user"))
	if who == "" || len(who) > 512 {
		return &httperr.HTTPError{Status: http.StatusBadRequest, Title: "No user named", Code: "missing_user",
			Message: "Name the user to sign out: their subject (sub), username or email."}
	}
	admin, _ := claims.FromContext(r.Context())
	out := revokeJSON{User: who, Subjects: []session.Listed{}}
	if l := g.lister(); l != nil {
		found, n, err := l.SignOutUser(r.Context(), who)
		out.Subjects, out.SessionsEnded = append(out.Subjects, found...), n
		if err != nil {
			return storeError(err)
		}
		// Deleting the sessions does not reach the user's bearer tokens: the revocation
		// list does, as it does for the cookie store.
		if g.opts.Revoker != nil {
			var listed revokeJSON
			if err := g.revokeOnList(r.Context(), who, &listed); err != nil {
				return err
			}
			out.Revoked, out.RevokedAs = listed.Revoked, listed.RevokedAs
		}
	} else if err := g.revokeOnList(r.Context(), who, &out); err != nil {
		return err
	}
	g.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "sessions revoked",
		slog.Bool("audit", true), slog.String("request_id", httperr.RequestID(r.Context())),
		slog.String("admin", admin.Username), slog.String("admin_sub", admin.Subject),
		slog.String("user", who), slog.Int("subjects", len(out.Subjects)),
		slog.Int("sessions_ended", out.SessionsEnded), slog.Bool("revocation_listed", out.Revoked),
		slog.Any("revoked_as", out.RevokedAs))
	if !httperr.WantsHTML(r) {
		httperr.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	http.Redirect(w, r, "/oidc/sessions?revoked="+strconv.Itoa(max(out.SessionsEnded, len(out.Subjects))), http.StatusSeeOther)
	return nil
}

// revokeOnList signs who out everywhere with the cookie store, whose sessions cannot
// be listed: who goes on the revocation list as a subject at the configured issuer
// (when an IdP is loaded), as a username and as an email, until SESSION_LENGTH from
// now. Every cookie issued before now whose sub, username (exactly) or email (in
// any case) is who is refused from then on.
func (g *Gateway) revokeOnList(ctx context.Context, who string, out *revokeJSON) error {
	if g.opts.Revoker == nil {
		return &httperr.HTTPError{Status: http.StatusServiceUnavailable, Title: "Cannot sign out", Code: "no_revocation",
			Message: "The gateway has no revocation list: it cannot sign anyone out now."}
	}
	issuer := ""
	if g.opts.Flows != nil {
		if flow, err := g.opts.Flows.Flow(); err == nil {
			issuer = flow.Issuer()
		}
	}
	until := g.opts.Now().Add(g.opts.SessionLength)
	if issuer != "" {
		if err := g.opts.Revoker.RevokeSubject(ctx, issuer, who, until); err != nil {
			return revocationError(err)
		}
		out.RevokedAs = append(out.RevokedAs, "sub")
		out.Subjects = append(out.Subjects, session.Listed{Subject: who, Issuer: issuer})
	}
	if err := g.opts.Revoker.RevokeUser(ctx, who, until); err != nil {
		return revocationError(err)
	}
	out.Revoked = true
	out.RevokedAs = append(out.RevokedAs, "username", "email")
	return nil
}

// revocationError is the answer to a revocation the list did not take.
func revocationError(err error) error {
	if errors.Is(err, session.ErrUnavailable) {
		return storeError(err)
	}
	return fmt.Errorf("proxy: revoke: %w", err)
}
