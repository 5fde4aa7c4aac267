package main

import (
	"fmt"
	"regexp"
	"slices"
)

// Settings is what the gateway's own help text (`ssogate --help`) says it accepts.
type Settings struct {
	Base  []string        // every setting, e.g. OIDC_CLIENT_SECRET
	Known map[string]bool // the settings, their *_FILE variants and their accepted aliases
}

var (
	settingLine = regexp.MustCompile(`(?m)^  ([A-Z][A-Z0-9_]*), --[a-z0-9-]+`)
	aliasLine   = regexp.MustCompile(`(?m)^  ([A-Z][A-Z0-9_]*)  \(accepted as well\)`)
	fileSuffix  = regexp.MustCompile(`_FILE$`)
)

// ParseSettings reads the settings from the gateway's usage text. A *_FILE line follows
// the setting it reads from a file, so a name ending in _FILE whose base was listed just
// before it is a variant, not a setting of its own (SIGNING_KEY_FILE is a setting).
func ParseSettings(usage string) (Settings, error) {
	s := Settings{Known: map[string]bool{}}
	for _, m := range settingLine.FindAllStringSubmatch(usage, -1) {
		name := m[1]
		s.Known[name] = true
		if base := fileSuffix.ReplaceAllString(name, ""); base != name && slices.Contains(s.Base, base) {
			continue
		}
		s.Base = append(s.Base, name)
	}
	for _, m := range aliasLine.FindAllStringSubmatch(usage, -1) {
		s.Known[m[1]] = true
	}
	if len(s.Base) < 10 {
		return s, fmt.Errorf("found only %d settings in the usage text; is it the output of ssogate --help?", len(s.Base))
	}
	return s, nil
}
