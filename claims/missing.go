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
	groups = lacks(raw, override(n.GroupsClaim, p.GroupsClaims), false)
	username = lacks(raw, override(n.UsernameClaim, p.UsernameClaims), true)
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

// override is the claim names to read: the configured one alone when set, else the
// profile's.
func override(configured string, profile []string) []string {
	if configured != "" {
		return []string{configured}
	}
	return profile
}

// lacks reports whether raw has none of names (with text when text is set); an
// empty list lacks nothing.
func lacks(raw map[string]any, names []string, text bool) bool {
	for _, name := range names {
		v, ok := lookup(raw, name)
		if !ok {
			continue
		}
		if s, _ := stringValue(v); !text || s != "" {
			return false
		}
	}
	return len(names) > 0
}
