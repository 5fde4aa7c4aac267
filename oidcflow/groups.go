package oidcflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/msgraph"
)

// Group look-up sources and outcomes, as in GroupLookup and the metric labels.
const (
	SourceGraph    = "graph"
	SourceUserinfo = "userinfo"

	LookupOK          = "ok"
	LookupDenied      = "denied"      // the IdP or Graph refused: a permission or scope is missing
	LookupUnavailable = "unavailable" // unreachable, slow or answering errors
	LookupMismatch    = "mismatch"    // userinfo answered for another subject
)

// GroupLookup is what a sign-in did to find groups the ID token did not carry: the
// Entra group overage (Microsoft Graph), or a thin ID token (userinfo).
type GroupLookup struct {
	Source  string // SourceGraph or SourceUserinfo
	Outcome string // LookupOK, LookupDenied, LookupUnavailable or LookupMismatch
	Err     error  // why it failed; nil when Outcome is LookupOK
	// Fix is what the operator has to change when it failed, in plain words.
	Fix string
	// Partial is true when the identity lacks groups it should have had.
	Partial bool
}

// lookupGroups completes raw, the verified ID token's claims, with the groups (and,
// from userinfo, the names) it lacks. It returns the claims to normalise and what it
// did; nil when nothing was needed. It never fails the sign-in itself: the caller
// decides with the live access rules.
func (f *Flow) lookupGroups(ctx context.Context, raw map[string]any, accessToken string) (map[string]any, *GroupLookup) {
	ctx, cancel := context.WithTimeout(ctx, f.opts.LookupTimeout)
	defer cancel()
	profile := claims.Resolve(f.opts.Normalizer.Provider, f.opts.Issuer)
	if profile.Kind == claims.KindEntra {
		overage := claims.Overage(raw)
		if !overage && !f.opts.GroupNames {
			return raw, nil
		}
		groups, lookup := f.graphGroups(ctx, raw, accessToken, overage)
		if lookup.Err != nil {
			return raw, lookup
		}
		return claims.WithoutOverage(raw, groups), lookup
	}
	missingGroups, missingName := f.opts.Normalizer.Missing(f.opts.Issuer, raw)
	if !missingGroups && !missingName || accessToken == "" || f.disc.UserInfoEndpoint == "" {
		return raw, nil
	}
	merged, lookup := f.userinfo(tracing.IdPCall(ctx, tracing.IdPUserinfo), raw, accessToken)
	lookup.Partial = lookup.Err != nil && missingGroups
	return merged, lookup
}

// graphGroups reads the user's transitive groups from Microsoft Graph: with the
// user's own access token when the flow gave one, else (or when Graph refuses it)
// with an application token. With ENTRA_GROUP_NAMES the display names replace the
// IDs; without overage only the groups the token named are kept.
func (f *Flow) graphGroups(ctx context.Context, raw map[string]any, accessToken string, overage bool) ([]string, *GroupLookup) {
	lookup := &GroupLookup{Source: SourceGraph, Partial: true}
	ctx = tracing.IdPCall(ctx, tracing.IdPGraph)
	client := msgraph.Client{BaseURL: f.opts.GraphURL, HTTP: f.opts.HTTPClient}
	var groups []msgraph.Group
	err := errors.New("no access token for Microsoft Graph")
	if accessToken != "" {
		groups, err = client.MyGroups(ctx, accessToken)
	}
	if err != nil && f.appTokens != nil && ctx.Err() == nil {
		oid, _ := raw["oid"].(string)
		tid, _ := raw["tid"].(string)
		var tok string
		if tok, err = f.appTokens.Token(tracing.IdPCall(ctx, tracing.IdPToken), tid); err == nil {
			groups, err = client.UserGroups(ctx, tok, oid)
		}
	}
	if err != nil {
		lookup.Err = err
		lookup.Outcome, lookup.Fix = graphFailure(err, accessToken != "", f.appTokens != nil, f.opts.GroupNames)
		return nil, lookup
	}
	keep := map[string]bool{}
	if !overage {
		ids, _ := raw["groups"].([]any)
		for _, id := range ids {
			if s, ok := id.(string); ok {
				keep[s] = true
			}
		}
	}
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		if !overage && !keep[g.ID] {
			continue
		}
		name := g.ID
		if f.opts.GroupNames && g.DisplayName != "" {
			name = g.DisplayName
		}
		out = append(out, name)
	}
	lookup.Outcome, lookup.Partial = LookupOK, false
	return out, lookup
}

// graphFailure classifies a failed Graph look-up and says what to grant.
func graphFailure(err error, delegated, app, names bool) (outcome, fix string) {
	perm := "GroupMember.Read.All"
	if !names {
		perm = "GroupMember.Read.All (or User.Read.All, IDs only)"
	}
	var ge *msgraph.Error
	switch {
	case errors.As(err, &ge) && ge.Denied(), strings.Contains(err.Error(), "client-credentials grant was refused"):
		if app {
			return LookupDenied, "In the app registration's API permissions, add the Microsoft Graph application permission " +
				perm + " and grant admin consent; check OIDC_CLIENT_SECRET."
		}
		return LookupDenied, "Set OIDC_CLIENT_SECRET (a client secret of the app registration) and add the Microsoft Graph " +
			"application permission " + perm + " with admin consent, so the gateway can read groups the token leaves out."
	case !delegated && !app:
		return LookupDenied, "The implicit flow gives the gateway no token for Microsoft Graph: set OIDC_CLIENT_SECRET and " +
			"add the Microsoft Graph application permission " + perm + " with admin consent, or use OIDC_AUTH_METHOD=pkce."
	}
	return LookupUnavailable, "Microsoft Graph did not answer in time or answered an error; check that the gateway can reach " +
		"MICROSOFT_GRAPH_URL. The next sign-in tries again."
}

// userinfo reads the userinfo endpoint with the access token and adds the claims
// the ID token lacks. A userinfo answer for another subject is ignored.
func (f *Flow) userinfo(ctx context.Context, raw map[string]any, accessToken string) (map[string]any, *GroupLookup) {
	lookup := &GroupLookup{Source: SourceUserinfo}
	info, err := f.provider.UserInfo(oidc.ClientContext(ctx, f.opts.HTTPClient), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken}))
	var extra map[string]any
	if err == nil {
		err = info.Claims(&extra)
	}
	if err != nil {
		lookup.Err = fmt.Errorf("reading userinfo: %w", err)
		lookup.Outcome = LookupUnavailable
		lookup.Fix = "The IdP's userinfo endpoint did not answer with the user's claims. Check that the gateway " +
			"can reach it and that OIDC_SCOPES includes the scope that releases the groups claim (e.g. groups)."
		if strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "403") {
			lookup.Outcome = LookupDenied
		}
		return raw, lookup
	}
	if sub, _ := raw["sub"].(string); info.Subject != sub {
		lookup.Err = fmt.Errorf("userinfo answered for subject %q, not the ID token's", info.Subject)
		lookup.Outcome = LookupMismatch
		lookup.Fix = "The IdP's userinfo endpoint answered for another user; its claims were ignored."
		return raw, lookup
	}
	merged := maps.Clone(raw)
	for k, v := range extra {
		if _, ok := merged[k]; !ok {
			merged[k] = v
		}
	}
	lookup.Outcome = LookupOK
	return merged, lookup
}
