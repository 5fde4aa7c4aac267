package config

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// publicPaths binds PUBLIC_PATHS: a comma-separated list of upstream paths served
// without sign-in. An entry is an exact path ("/oidc/token") or, ending in "/", a
// subtree ("/public/"). Entries are plain, clean, decoded paths: a misspelt entry is
// reported with the spelling that would work, never guessed at.
func publicPaths(p func(*Config) *[]string) binding {
	b := list(p, nil)
	parse := b.parse
	b.parse = func(c *Config, v string) error {
		if err := parse(c, v); err != nil {
			return err
		}
		var errs []error
		for _, e := range *p(c) {
			if err := publicPathProblem(e); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			*p(c) = nil // never half of what the operator wrote
		}
		return errors.Join(errs...)
	}
	return b
}

// publicPathProblem says what is wrong with one PUBLIC_PATHS entry and how to write
// it, or returns nil.
func publicPathProblem(e string) error {
	switch {
	case strings.ContainsAny(e, "*"):
		return fmt.Errorf("entry %q: PUBLIC_PATHS has no wildcards; end an entry with \"/\" for a whole subtree, e.g. %q", e, subtreeOf(e))
	case strings.ContainsAny(e, "?#"):
		return fmt.Errorf("entry %q: the query is never matched; write the path alone, e.g. %q", e, strings.SplitN(strings.SplitN(e, "?", 2)[0], "#", 2)[0])
	case !strings.HasPrefix(e, "/"):
		return fmt.Errorf("entry %q must be an absolute path starting with \"/\", e.g. %q", e, "/"+e)
	case e == "/":
		return fmt.Errorf("entry \"/\" would make every path public; list the paths that need no sign-in, e.g. \"/oidc/token\"")
	case strings.ContainsAny(e, "%;\\ \t") || strings.ContainsFunc(e, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("entry %q: write the plain, decoded path, without %%-escapes, \";\", \"\\\" or spaces", e)
	case cleanPath(e) != e:
		return fmt.Errorf("entry %q is not a clean path; write %q", e, cleanPath(e))
	}
	return nil
}

// cleanPath is path.Clean keeping a trailing "/" (a subtree).
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// subtreeOf suggests the subtree an entry with a wildcard meant: "/public/*" and
// "/public*" are "/public/".
func subtreeOf(e string) string {
	before, _, _ := strings.Cut(e, "*")
	before = "/" + strings.Trim(before, "/")
	if before != "/" {
		before += "/"
	}
	return before
}
