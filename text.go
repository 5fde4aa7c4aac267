package main

import (
	"net/url"
	"strings"
)

// indent indents every line of s by two spaces, for multi-line errors under a heading.
func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// urlText shows an optional URL setting in the start-up line.
func urlText(u *url.URL) string {
	if u == nil {
		return "derived from each request"
	}
	return u.String()
}
