package claims

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// lookup finds a claim by name or dotted path. A key that exists literally wins,
// at every level, so "https://example.com/groups" and "realm_access.roles" both
// work, and so does a path whose keys contain dots ("https://x.io/claims.groups").
func lookup(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			continue
		}
		child, ok := m[name[:i]].(map[string]any)
		if !ok {
			continue
		}
		if v, ok := lookup(child, name[i+1:]); ok {
			return v, true
		}
	}
	return nil, false
}

// stringClaim is the top-level claim name as a string, "" when absent.
func stringClaim(raw map[string]any, name string) string {
	s, _ := stringValue(raw[name])
	return s
}

// stringValue accepts strings and, for IdPs that send numeric IDs, whole numbers.
func stringValue(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		if v == math.Trunc(v) && !math.IsInf(v, 0) {
			return strconv.FormatFloat(v, 'f', -1, 64), true
		}
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	}
	return "", false
}

// numberValue reads a NumericDate (seconds since the epoch).
func numberValue(v any) (int64, bool) {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false
		}
		return int64(v), true
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i, true
		}
		if f, err := v.Float64(); err == nil {
			return int64(f), true
		}
	case int64:
		return v, true
	case int:
		return int64(v), true
	}
	return 0, false
}

// boolValue reads a boolean claim that some IdPs (Cognito) send as "true"/"false".
// present is false only when the claim is absent or null.
func boolValue(v any) (value, present bool) {
	switch v := v.(type) {
	case nil:
		return false, false
	case bool:
		return v, true
	case string:
		return strings.EqualFold(strings.TrimSpace(v), "true"), true
	}
	return false, true
}

// groupList turns a groups claim into a list; ok is false for shapes that hold no
// group names (objects, booleans).
func groupList(v any) ([]string, bool) {
	switch v := v.(type) {
	case []string:
		return v, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := stringValue(e); ok {
				out = append(out, s)
			}
		}
		return out, true
	case string:
		return splitGroups(v), true
	}
	return nil, false
}

// splitGroups reads groups sent as one string: "a", "a,b", "a b", or a list
// rendered as text ("[a, b]" or `["a","b"]`, as Cognito custom attributes do).
// A string with a comma is split on commas only, so names may contain spaces.
func splitGroups(s string) []string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		var list []string
		if json.Unmarshal([]byte(s), &list) == nil {
			return list
		}
		s = s[1 : len(s)-1]
	}
	if strings.Contains(s, ",") {
		return strings.Split(s, ",")
	}
	return strings.Fields(s)
}

// headerSafe replaces control characters (C0, DEL, C1) with spaces. A user name,
// email and group names become HTTP header values upstream, where a control
// character makes the request unsendable: every request of that user would fail.
func headerSafe(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// dedupe trims each name (control characters made spaces), drops empty ones and repeats, and keeps the order; an
// empty result is nil.
func dedupe(list []string) []string {
	var out []string
	seen := make(map[string]struct{}, len(list))
	for _, g := range list {
		g = strings.TrimSpace(headerSafe(g))
		if g == "" {
			continue
		}
		if _, dup := seen[g]; dup {
			continue
		}
		seen[g] = struct{}{}
		out = append(out, g)
	}
	return out
}
