package fakewandb

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// SCIM 2.0 schema URNs (RFC 7643, RFC 7644).
const (
	scimUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// scimList serves GET /scim/Users, as Okta and Entra call it before provisioning
// (filter=userName eq "name").
func (s *Server) scimList(w http.ResponseWriter, r *http.Request) {
	if _, err := s.authenticate(r); err != nil {
		refuse(w, err)
		return
	}
	want := ""
	if f := r.URL.Query().Get("filter"); f != "" {
		name, ok := strings.CutPrefix(f, "userName eq ")
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
				"status": "400", "scimType": "invalidFilter"})
			return
		}
		want = strings.Trim(name, `"`)
	}
	s.mu.Lock()
	users := slices.Clone(s.users)
	s.mu.Unlock()
	resources := []map[string]any{}
	for _, u := range users {
		if want == "" || u == want {
			resources = append(resources, scimUser(u))
		}
	}
	w.Header().Set("Content-Type", "application/scim+json")
	_ = json.NewEncoder(w).Encode(map[string]any{"schemas": []string{scimListSchema}, "totalResults": len(resources),
		"startIndex": 1, "itemsPerPage": len(resources), "Resources": resources})
}

// scimCreate serves POST /scim/Users: provisioning a user.
func (s *Server) scimCreate(w http.ResponseWriter, r *http.Request) {
	if _, err := s.authenticate(r); err != nil {
		refuse(w, err)
		return
	}
	var body struct {
		Schemas  []string `json:"schemas"`
		UserName string   `json:"userName"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.UserName == "" || !slices.Contains(body.Schemas, scimUserSchema) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"},
			"status": "400", "detail": "a User with userName is required"})
		return
	}
	s.mu.Lock()
	s.users = append(s.users, body.UserName)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(scimUser(body.UserName))
}

func scimUser(name string) map[string]any {
	return map[string]any{"schemas": []string{scimUserSchema}, "id": "u-" + name, "userName": name, "active": true,
		"emails": []map[string]any{{"value": name + "@example.com", "primary": true}}}
}
