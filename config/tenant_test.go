package config

import (
	"strings"
	"testing"
)

// TestMultiTenantEntraRequiresAllowedTenants: a common or organizations issuer admits
// every Microsoft tenant, so the configuration is refused until ALLOWED_TENANTS names
// the tenants that may sign in.
func TestMultiTenantEntraRequiresAllowedTenants(t *testing.T) {
	tests := []struct {
		issuer  string
		tenants []string
		want    bool // an ALLOWED_TENANTS error
	}{
		{"https://login.microsoftonline.com/common/v2.0", nil, true},
		{"https://login.microsoftonline.com/organizations/v2.0", nil, true},
		{"https://login.microsoftonline.us/Common/v2.0", nil, true},
		{"https://login.example.com/common/v2.0", nil, true}, // Entra behind the organisation's own host
		{"https://login.microsoftonline.com/common/v2.0", []string{"11111111-2222-3333-4444-555555555555"}, false},
		{"https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0", nil, false},
		{"https://idp.example.com/common", nil, false},
		{"https://acme.okta.com/oauth2/default", nil, false},
	}
	for _, tt := range tests {
		c := validConfig()
		c.Issuer, c.AllowedTenants = tt.issuer, tt.tenants
		err := c.Validate()
		got := err != nil && strings.Contains(err.Error(), "ALLOWED_TENANTS is required with a multi-tenant Entra issuer")
		if got != tt.want {
			t.Errorf("issuer %s, tenants %v: Validate() = %v; want an ALLOWED_TENANTS error: %v", tt.issuer, tt.tenants, err, tt.want)
		}
	}
}
