package proxy

import (
	"net/url"
	"strings"
)

// PublicPaths matches request paths against PUBLIC_PATHS: upstream paths served
// without sign-in, always without identity headers. An entry is an exact path, or a
// subtree when it ends in "/"; entries are clean, decoded paths (config checks them).
// The zero value matches nothing.
type PublicPaths struct {
	exact    map[string]bool
	subtrees []string
}

// NewPublicPaths builds the matcher for entries.
func NewPublicPaths(entries []string) PublicPaths {
	p := PublicPaths{exact: make(map[string]bool, len(entries))}
	for _, e := range entries {
		if strings.HasSuffix(e, "/") {
			p.subtrees = append(p.subtrees, e)
		} else {
			p.exact[e] = true
		}
	}
	return p
}

// Match reports whether escapedPath, a request's path as the upstream will receive
// it (url.URL.EscapedPath; never the query), is public. The path is percent-decoded
// and must then already be clean: a path the upstream could read differently from
// the gateway — dot segments (also as %2e), an encoded "/" or "\", a double slash, a
// ";" parameter, a backslash, an escaped "%" — is never public and goes through
// sign-in like any other. Matching is case-sensitive.
func (p PublicPaths) Match(escapedPath string) bool {
	if len(p.exact) == 0 && len(p.subtrees) == 0 {
		return false
	}
	decoded := escapedPath
	if strings.IndexByte(escapedPath, '%') >= 0 {
		lower := strings.ToLower(escapedPath)
		if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(lower, "%25") {
			return false
		}
		var err error
		if decoded, err = url.PathUnescape(escapedPath); err != nil {
			return false
		}
	}
	// The entry first (most paths are not public, and the lookup is cheap), then
	// whether the path is plain.
	return p.listed(decoded) && plainPath(decoded)
}

// listed reports whether decoded is an exact entry or inside a subtree.
func (p PublicPaths) listed(decoded string) bool {
	if p.exact[decoded] {
		return true
	}
	for _, s := range p.subtrees {
		if strings.HasPrefix(decoded, s) {
			return true
		}
	}
	return false
}

// plainPath reports whether path is absolute and clean: no empty, "." or ".."
// segments, no ";", "\" or "%", no control characters.
func plainPath(path string) bool {
	if !strings.HasPrefix(path, "/") {
		return false
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c < 0x20 || c == 0x7f || c == ';' || c == '\\' || c == '%' {
			return false
		}
	}
	rest := path[1:]
	for rest != "" {
		seg, after, more := strings.Cut(rest, "/")
		if seg == "" && more || seg == "." || seg == ".." {
			return false // "//", "/./", "/../" (a trailing "/" is a subtree, not a trick)
		}
		rest = after
	}
	return true
}
