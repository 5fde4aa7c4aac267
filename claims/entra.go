package claims

import (
	"net/url"
	"strings"
)

// entraV2Issuer is the v2.0 issuer of the tenant ID in an Entra v1 issuer's path, on
// the same cloud's sign-in host (sts.windows.net is the public cloud's v1 issuer
// host); "" when the path names no tenant ID. A tenant's domain name is no help:
// its discovery document announces the tenant ID.
func entraV2Issuer(host, p string) string {
	tenant, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !validTenantID(tenant) {
		return ""
	}
	if host == "sts.windows.net" {
		host = "login.microsoftonline.com"
	}
	return "https://" + host + "/" + tenant + "/v2.0"
}

// entraTenantPlaceholder is what multi-tenant Entra discovery documents put in
// their issuer instead of a tenant ID.
const entraTenantPlaceholder = "{tenantid}"

// EntraIssuerMatches reports whether an ID token's iss is acceptable for the
// configured issuer. A single-tenant issuer must equal tokenIss exactly. A
// multi-tenant one — the discovery issuer with the literal "{tenantid}", or an
// issuer whose tenant segment is "common", "organizations" or "consumers", on any
// host (every Microsoft cloud, or Entra behind a custom domain) — must
// equal tokenIss once the token's own tid claim is put in the tenant's place, so a
// token from tenant A cannot claim tenant B's issuer.
func EntraIssuerMatches(configured, tokenIss, tid string) bool {
	template, ok := entraTemplate(configured)
	if !ok {
		return configured == tokenIss
	}
	if !validTenantID(tid) {
		return false
	}
	return strings.Replace(template, entraTenantPlaceholder, tid, 1) == tokenIss
}

// entraTemplate returns configured with its tenant segment as "{tenantid}" when it
// is a multi-tenant Entra issuer.
func entraTemplate(configured string) (string, bool) {
	if strings.Contains(configured, entraTenantPlaceholder) {
		return configured, true
	}
	u, err := url.Parse(configured)
	if err != nil || u.Host == "" {
		return "", false
	}
	segments := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	switch strings.ToLower(segments[0]) {
	case "common", "organizations", "consumers":
		segments[0] = entraTenantPlaceholder
		return u.Scheme + "://" + u.Host + "/" + strings.Join(segments, "/"), true
	}
	return "", false
}

// validTenantID accepts the characters of a GUID, so a forged tid cannot rewrite
// the rest of the issuer.
func validTenantID(tid string) bool {
	if tid == "" {
		return false
	}
	for _, c := range tid {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			return false
		}
	}
	return true
}
