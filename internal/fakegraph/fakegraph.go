// Package fakegraph is a small stand-in for Microsoft Graph's transitiveMemberOf API,
// for tests: paged answers with a directory role mixed in, application and delegated
// tokens, refusals shaped like Graph's (403 Authorization_RequestDenied) and slow
// answers. It is test support only.
package fakegraph

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Group is a group as Graph lists it.
type Group struct {
	ID          string
	DisplayName string
}

// Graph serves /v1.0/me/transitiveMemberOf, /v1.0/users/{id}/transitiveMemberOf and
// /v1.0/groups (one group, for an application's permission check).
// Set its fields before serving; Deny and Delay may be changed later with SetDeny and
// SetDelay.
type Graph struct {
	Groups   map[string][]Group // by user object ID
	PageSize int                // default 2, so every test pages
	// App reports whether token is an application token allowed /users/{id}/…; nil
	// refuses every application call.
	App func(token string) bool
	// Me resolves a delegated token to the user's object ID; nil refuses delegated calls.
	Me func(token string) (oid string, ok bool)
	// HideNames leaves displayName null, as Graph does when the token only has User.Read.
	HideNames bool

	deny  atomic.Bool
	delay atomic.Int64
	calls atomic.Int64
	mu    sync.Mutex
	paths []string
}

// SetDeny makes every call answer 403 Authorization_RequestDenied.
func (g *Graph) SetDeny(v bool) { g.deny.Store(v) }

// SetDelay makes every answer wait d first (or until the client gives up).
func (g *Graph) SetDelay(d time.Duration) { g.delay.Store(int64(d)) }

// Calls is how many requests Graph answered.
func (g *Graph) Calls() int64 { return g.calls.Load() }

// Paths lists the paths called, in order.
func (g *Graph) Paths() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.paths...)
}

func (g *Graph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.calls.Add(1)
	g.mu.Lock()
	g.paths = append(g.paths, r.URL.Path)
	g.mu.Unlock()
	if d := time.Duration(g.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if g.deny.Load() {
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	var oid string
	switch rest, ok := strings.CutPrefix(r.URL.Path, "/v1.0/users/"); {
	case r.URL.Path == "/v1.0/groups":
		if g.App == nil || !g.App(token) {
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"value": []any{map[string]any{"id": "0a1b-any"}}})
		return
	case r.URL.Path == "/v1.0/me/transitiveMemberOf":
		var known bool
		if g.Me != nil {
			oid, known = g.Me(token)
		}
		if !known {
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
			return
		}
	case ok && strings.HasSuffix(rest, "/transitiveMemberOf"):
		if g.App == nil || !g.App(token) {
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
			return
		}
		oid = strings.TrimSuffix(rest, "/transitiveMemberOf")
	default:
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", "no such resource")
		return
	}
	g.page(w, r, oid)
}

// page writes one page of oid's groups, a directory role first on page one.
func (g *Graph) page(w http.ResponseWriter, r *http.Request, oid string) {
	size := g.PageSize
	if size <= 0 {
		size = 2
	}
	groups := g.Groups[oid]
	start, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(start+size, len(groups))
	var value []map[string]any
	if start == 0 {
		value = append(value, map[string]any{"@odata.type": "#microsoft.graph.directoryRole", "id": "role-1", "displayName": "Global Reader"})
	}
	for _, grp := range groups[min(start, end):end] {
		item := map[string]any{"@odata.type": "#microsoft.graph.group", "id": grp.ID, "displayName": grp.DisplayName}
		if g.HideNames {
			item["displayName"] = nil
		}
		value = append(value, item)
	}
	doc := map[string]any{"value": value}
	if end < len(groups) {
		next := *r.URL
		next.Scheme, next.Host = "http", r.Host
		q := next.Query()
		q.Set("$skiptoken", strconv.Itoa(end))
		next.RawQuery = q.Encode()
		doc["@odata.nextLink"] = next.String()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}
