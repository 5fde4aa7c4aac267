package config

import (
	"net/url"
	"strings"
)

// microsoftLoginHosts are the Entra ID sign-in hosts of the public and national clouds.
var microsoftLoginHosts = []string{"login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn"}

// EntraMultiTenant reports whether issuer is a multi-tenant Entra ID issuer, which
// admits users of every tenant and so needs ALLOWED_TENANTS: its tenant segment is
// "common" or "organizations" (on a Microsoft sign-in host, or any host with the v2.0
// path), or the literal "{tenantid}" of the discovery document.
func EntraMultiTenant(issuer string) bool {
	if strings.Contains(issuer, "{tenantid}") {
		return true
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return false
	}
	tenant, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	switch strings.ToLower(tenant) {
	case "common", "organizations":
	default:
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range microsoftLoginHosts {
		if host == h {
			return true
		}
	}
	return strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/v2.0")
}
