package claims

// Overage reports whether raw carries Entra's group-overage markers (hasgroups, or
// _claim_names/_claim_sources) instead of the user's groups.
func Overage(raw map[string]any) bool {
	_, ok := overage(raw)
	return ok
}

// Missing reports what raw, an ID token's claims, lacks that the IdP's userinfo
// endpoint may supply: any of the claims the groups are read from, or a user name
// claim (the subject alone names the user badly), or the email the profile expects.
func (n Normalizer) Missing(issuer string, raw map[string]any) (groups, username bool) {
	p := Resolve(n.Provider, issuer)
	names := p.GroupsClaims
	if n.GroupsClaim != "" {
		names = []string{n.GroupsClaim}
	}
	groups = len(names) > 0
	for _, name := range names {
		if _, ok := lookup(raw, name); ok {
			groups = false
			break
		}
	}
	users := p.UsernameClaims
	if n.UsernameClaim != "" {
		users = []string{n.UsernameClaim}
	}
	username = len(users) > 0
	for _, name := range users {
		if v, ok := lookup(raw, name); ok {
			if s, _ := stringValue(v); s != "" {
				username = false
				break
			}
		}
	}
	return groups, username
}

// WithoutOverage returns a copy of raw whose groups claim is groups and whose Entra
// overage markers are gone, for groups read from Microsoft Graph.
func WithoutOverage(raw map[string]any, groups []string) map[string]any {
	out := make(map[string]any, len(raw)+1)
	for k, v := range raw {
		out[k] = v
	}
	delete(out, "hasgroups")
	delete(out, "_claim_names")
	delete(out, "_claim_sources")
	list := make([]any, len(groups))
	for i, g := range groups {
		list[i] = g
	}
	out["groups"] = list
	return out
}
