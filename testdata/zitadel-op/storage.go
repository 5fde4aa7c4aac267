package main

import (
	"context"
	"log/slog"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// opStorage is the example's in-memory storage with post-logout redirect URIs for
// every client, a groups claim for its users, and a log line when a session ends.
type opStorage struct {
	*storage.Storage
	postLogout []string
	groups     map[string][]string // by user ID
	log        *slog.Logger
}

// postLogoutClient is a client of the example whose post_logout_redirect_uris are uris
// (the example's clients have none and no way to set them).
type postLogoutClient struct {
	op.Client
	uris []string
}

// PostLogoutRedirectURIs returns the URIs registered on the command line.
func (c postLogoutClient) PostLogoutRedirectURIs() []string { return c.uris }

// GetClientByClientID returns the example's client with the post-logout URIs.
func (s *opStorage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return postLogoutClient{Client: c, uris: s.postLogout}, nil
}

// SetUserinfoFromRequest fills the ID token's user claims as the example does, plus
// the groups claim.
func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, token, scopes); err != nil {
		return err
	}
	s.addGroups(info, token.GetSubject(), scopes)
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint as the example does, plus the
// groups claim when the token has the profile scope (the token's scopes are not
// visible here: the example fills preferred_username for exactly that scope).
func (s *opStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	if info.PreferredUsername != "" {
		s.addGroups(info, info.Subject, []string{oidc.ScopeProfile})
	}
	return nil
}

// addGroups adds the groups claim of user when scopes include profile.
func (s *opStorage) addGroups(info *oidc.UserInfo, user string, scopes []string) {
	for _, sc := range scopes {
		if sc == oidc.ScopeProfile && len(s.groups[user]) > 0 {
			info.AppendClaims("groups", s.groups[user])
			return
		}
	}
}

// TerminateSession ends the user's tokens for the client as the example does (the
// end_session endpoint calls it once the id_token_hint is verified) and logs it.
func (s *opStorage) TerminateSession(ctx context.Context, userID, clientID string) error {
	if err := s.Storage.TerminateSession(ctx, userID, clientID); err != nil {
		return err
	}
	s.log.Info("session terminated", "user", userID, "client", clientID)
	return nil
}
