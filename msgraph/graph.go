// Package msgraph reads a user's Microsoft Entra ID group memberships from Microsoft
// Graph: the transitive groups of the signed-in user (a delegated token) or of a user
// by object ID (an application token from the client-credentials grant), page by page,
// with their display names. It does not log; failures are *Error values that name the
// permission an operator must grant.
package msgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Limits on what one look-up reads, so a misbehaving endpoint cannot hold a sign-in
// or the gateway's memory: 100 pages of 999 groups, 8 MiB a page.
const (
	maxPages     = 100
	maxPageBytes = 8 << 20
	pageSize     = "999"
)

// Group is one group the user is a member of, directly or through nested groups.
type Group struct {
	ID          string
	DisplayName string // empty when the token's permission does not reveal names
}

// Client calls Microsoft Graph. BaseURL is the cloud's Graph root without a version,
// e.g. https://graph.microsoft.com (DefaultBaseURL picks it from the issuer).
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// MyGroups returns the transitive groups of the user whose delegated access token is
// token (GET /v1.0/me/transitiveMemberOf). Least privilege: User.Read, which returns
// IDs; display names need GroupMember.Read.All.
func (c Client) MyGroups(ctx context.Context, token string) ([]Group, error) {
	return c.groups(ctx, token, "/v1.0/me/transitiveMemberOf")
}

// UserGroups returns the transitive groups of the user with object ID userID, read
// with an application token (GET /v1.0/users/{id}/transitiveMemberOf). It needs the
// application permission GroupMember.Read.All (or User.Read.All for IDs only).
func (c Client) UserGroups(ctx context.Context, token, userID string) ([]Group, error) {
	if userID == "" {
		return nil, errors.New("msgraph: the ID token has no oid claim, so the user cannot be looked up")
	}
	return c.groups(ctx, token, "/v1.0/users/"+url.PathEscape(userID)+"/transitiveMemberOf")
}

// page is one page of a directoryObject collection.
type page struct {
	Value []struct {
		Type        string `json:"@odata.type"`
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
	} `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

func (c Client) groups(ctx context.Context, token, path string) ([]Group, error) {
	base, err := url.Parse(strings.TrimSuffix(c.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("msgraph: MICROSOFT_GRAPH_URL %q is not a URL", c.BaseURL)
	}
	next := base.String() + path + "?$select=id,displayName&$top=" + pageSize
	var out []Group
	for n := 0; next != ""; n++ {
		if n == maxPages {
			return nil, fmt.Errorf("msgraph: more than %d pages of groups; refusing to read on", maxPages)
		}
		// Follow nextLink only on the Graph host we were given: a link elsewhere
		// would carry the user's token to another server.
		u, err := url.Parse(next)
		if err != nil || u.Scheme != base.Scheme || u.Host != base.Host {
			return nil, fmt.Errorf("msgraph: refusing a nextLink outside %s", base.Host)
		}
		var p page
		if err := c.get(ctx, token, u.String(), &p); err != nil {
			return nil, err
		}
		for _, v := range p.Value {
			// Directory roles and administrative units come in the same collection.
			if v.Type == "#microsoft.graph.group" && v.ID != "" {
				out = append(out, Group{ID: v.ID, DisplayName: v.DisplayName})
			}
		}
		next = p.NextLink
	}
	return out, nil
}

func (c Client) get(ctx context.Context, token, target string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("msgraph: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("msgraph: calling Microsoft Graph: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		return fmt.Errorf("msgraph: reading Microsoft Graph's answer: %w", err)
	}
	if len(body) > maxPageBytes {
		return fmt.Errorf("msgraph: a page over %d bytes; refusing to read on", maxPageBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return newError(resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("msgraph: Microsoft Graph's answer is not the expected JSON: %w", err)
	}
	return nil
}

// CheckGroupsReadable asks Graph for one group with an application token, to see
// that the application may read groups (GroupMember.Read.All) before a user needs it.
func (c Client) CheckGroupsReadable(ctx context.Context, token string) error {
	base := strings.TrimSuffix(c.BaseURL, "/")
	var p page
	return c.get(ctx, token, base+"/v1.0/groups?$select=id&$top=1", &p)
}
