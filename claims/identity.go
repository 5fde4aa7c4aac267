// Package claims turns a verified ID token's claims into one normalised Identity,
// recognises the identity provider from its issuer, maps groups to roles and applies
// the allow rules. It knows nothing of HTTP.
package claims

import "time"

// Sign-in methods recorded in Identity.AMR.
const (
	AMRSSO          = "sso"
	AMRLocalRestore = "local_restore"
)

// Roles, highest first.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleViewer = "viewer"
)

// Identity is the signed-in user as the gateway sees it, whatever the IdP.
type Identity struct {
	Subject       string    `json:"sub"`
	Username      string    `json:"preferred_username,omitempty"`
	Email         string    `json:"email,omitempty"`
	EmailVerified bool      `json:"email_verified,omitempty"`
	Name          string    `json:"name,omitempty"`
	Groups        []string  `json:"groups,omitempty"`
	Role          string    `json:"role,omitempty"`
	Issuer        string    `json:"iss,omitempty"`
	IdP           string    `json:"idp,omitempty"`       // provider kind: "okta", "entra", "oidc", …
	AMR           []string  `json:"amr,omitempty"`       // how the user signed in: "sso" or "local_restore"
	SessionID     string    `json:"sid,omitempty"`       // the IdP's session ID, for logout
	HostedDomain  string    `json:"hd,omitempty"`        // Google Workspace domain
	AuthTime      time.Time `json:"auth_time,omitempty"` // when the IdP authenticated the user
}
