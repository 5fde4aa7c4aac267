package config

import (
	"slices"
	"strings"
	"testing"
)

func TestPublicPaths(t *testing.T) {
	tests := []struct {
		value string
		want  []string // the parsed entries, when valid
		err   string   // part of the report, when not
	}{
		{"/oidc/token", []string{"/oidc/token"}, ""},
		{" /oidc/token , /public/ ,", []string{"/oidc/token", "/public/"}, ""},
		{"", nil, ""},
		{"oidc/token", nil, `PUBLIC_PATHS="oidc/token": entry "oidc/token" must be an absolute path starting with "/", e.g. "/oidc/token"`},
		{"/public/*", nil, `entry "/public/*": PUBLIC_PATHS has no wildcards; end an entry with "/" for a whole subtree, e.g. "/public/"`},
		{"/public*", nil, `e.g. "/public/"`},
		{"/oidc/token?x=1", nil, `entry "/oidc/token?x=1": the query is never matched; write the path alone, e.g. "/oidc/token"`},
		{"/", nil, `entry "/" would make every path public`},
		{"/a/../b", nil, `entry "/a/../b" is not a clean path; write "/b"`},
		{"//oidc/token", nil, `entry "//oidc/token" is not a clean path; write "/oidc/token"`},
		{"/oidc%2Ftoken", nil, `entry "/oidc%2Ftoken": write the plain, decoded path`},
		{"/oidc/token;x", nil, `entry "/oidc/token;x": write the plain, decoded path`},
		{"/ok/,bad", nil, `entry "bad" must be an absolute path`},
	}
	for _, tt := range tests {
		c, err := Load(nil, env(minimalEnv(t, map[string]string{"PUBLIC_PATHS": tt.value})))
		if err == nil {
			err = c.Validate()
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("PUBLIC_PATHS=%q: got error %v, want none", tt.value, err)
		case tt.err == "" && !slices.Equal(c.PublicPaths, tt.want):
			t.Errorf("PUBLIC_PATHS=%q: got %q, want %q", tt.value, c.PublicPaths, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "PUBLIC_PATHS")):
			t.Errorf("PUBLIC_PATHS=%q: got error %v, want one naming PUBLIC_PATHS and containing %q", tt.value, err, tt.err)
		case tt.err != "" && len(c.PublicPaths) != 0:
			t.Errorf("PUBLIC_PATHS=%q: kept %q despite the error", tt.value, c.PublicPaths)
		}
	}
}
