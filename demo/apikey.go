package demo

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
)

// APIKey is the demo application's API key for alice. The gateway passes requests
// carrying it through (API_KEY_PASSTHROUGH) and the application checks it, as W&B
// checks its SDK's, SCIM's and MCP clients' keys.
const APIKey = "demo-api-key"

// apiKeyPage serves /api/whoami: the application's own check of an API key, sent
// as the W&B SDK sends it (Basic api:KEY) or as SCIM and MCP clients do (Bearer KEY).
// It reports whether the gateway added any identity header: with an API key it must
// not.
func apiKeyPage(w http.ResponseWriter, r *http.Request) {
	var identity []string
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-auth-request-") {
			identity = append(identity, name)
		}
	}
	key, via := presentedKey(r)
	w.Header().Set("Content-Type", "application/json")
	if subtle.ConstantTimeCompare([]byte(key), []byte(APIKey)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="demo application"`)
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": "send the demo API key: curl -u api:" + APIKey + " …/api/whoami"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"user": "alice", "authenticated_by": via,
		"identity_headers_from_gateway": len(identity)})
}

// presentedKey returns the API key of a Basic api:KEY or Bearer KEY credential and
// how it came.
func presentedKey(r *http.Request) (key, via string) {
	if user, pass, ok := r.BasicAuth(); ok && user == "api" {
		return pass, "api_key_basic"
	}
	if scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(cred), "api_key_bearer"
	}
	return "", ""
}
