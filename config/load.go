package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Load reads the configuration from, highest precedence first: the settings saved in
// DATA_DIR/settings.json, the flags in args (the command line without the program
// and sub-command names), the environment through lookupEnv (with OIDC_CLIENT_SECRET_FILE
// and COOKIE_SECRET_FILE read from their files), and the defaults. An empty
// environment variable counts as unset.
//
// It returns the Config together with every problem found, parsing and Validate's
// alike, joined; a value that does not parse is reported and its default used, so the
// other settings are still checked. Saved settings that cannot be read or are invalid
// are not applied and do not fail Load: Config.SavedError says why. With --help or -h
// it returns an error wrapping flag.ErrHelp and the caller prints Usage.
func Load(args []string, lookupEnv func(string) (string, bool)) (Config, error) {
	defs := specs()
	r, err := resolve(defs, args, lookupEnv)
	if err != nil {
		return Config{}, err
	}
	c := build(defs, r, nil)
	var saved Saved
	if c.DataDir != "" {
		saved, c.SavedError = ReadSaved(c.DataDir)
		if c.SavedError == nil {
			if saved, c.SavedError = sealerFor(c).Open(saved); c.SavedError != nil {
				c.SavedError = fmt.Errorf("saved settings %s were not applied: %w", SavedPath(c.DataDir), c.SavedError)
			}
		}
	}
	if len(saved) > 0 {
		withSaved := build(defs, r, saved)
		var bad []error
		for _, p := range withSaved.allProblems() {
			if withSaved.Sources[baseName(p.Name)] == SourceSaved {
				bad = append(bad, p)
			}
		}
		if len(bad) > 0 {
			c.SavedError = fmt.Errorf("saved settings %s were not applied: %w", SavedPath(c.DataDir), errors.Join(bad...))
		} else {
			c = withSaved
		}
	}
	return c, errors.Join(append(r.cmdline, c.report()...)...)
}

// LoadWithSaved is Load with the saved settings given rather than read from DATA_DIR:
// the settings page builds a proposed configuration with it before saving. Problems
// of the given settings are returned, not set aside in SavedError.
func LoadWithSaved(args []string, lookupEnv func(string) (string, bool), saved Saved) (Config, error) {
	defs := specs()
	r, err := resolve(defs, args, lookupEnv)
	if err != nil {
		return Config{}, err
	}
	if err := saved.check(); err != nil {
		r.cmdline = append(r.cmdline, err)
		saved = nil
	}
	c := build(defs, r, saved)
	return c, errors.Join(append(r.cmdline, c.report()...)...)
}

// layered is a setting's text and where it came from.
type layered struct {
	value  string
	source Source
}

// resolved holds every setting's text from defaults, environment and flags.
type resolved struct {
	vals     map[string]layered
	problems []*SettingError // per setting: unreadable files, conflicting sources
	cmdline  []error         // the command line itself
}

// resolve collects each setting's text from the lower three sources. Only --help
// fails it.
func resolve(defs []spec, args []string, lookupEnv func(string) (string, bool)) (resolved, error) {
	r := resolved{vals: make(map[string]layered, len(defs))}
	fs := flag.NewFlagSet("ssogate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	flags := map[string]*flagValue{}
	for _, d := range defs {
		names := []string{d.name}
		if d.secret {
			names = append(names, d.name+"_FILE")
		}
		for _, n := range names {
			flags[n] = &flagValue{boolean: d.boolean}
			fs.Var(flags[n], flagName(n), d.usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return resolved{}, fmt.Errorf("config: %w", err)
		}
		r.cmdline = append(r.cmdline, fmt.Errorf(`command line: %v: run "ssogate --help" for the settings`, err))
	} else if fs.NArg() > 0 {
		r.cmdline = append(r.cmdline, fmt.Errorf(`command line: unexpected argument %q: give settings as --name=value`, fs.Arg(0)))
	}

	for _, d := range defs {
		v := layered{d.def, SourceDefault}
		env := []candidate{}
		for _, n := range append([]string{d.name}, d.aliases...) {
			if s, ok := lookupEnv(n); ok && s != "" {
				env = append(env, candidate{n, s})
			}
		}
		var envFile *candidate
		if d.secret {
			if s, ok := lookupEnv(d.name + "_FILE"); ok && s != "" {
				envFile = &candidate{d.name + "_FILE", s}
			}
		}
		var cmd []candidate
		if f := flags[d.name]; f.set {
			cmd = append(cmd, candidate{"--" + flagName(d.name), f.value})
		}
		var cmdFile *candidate
		if f := flags[d.name+"_FILE"]; f != nil && f.set {
			cmdFile = &candidate{"--" + flagName(d.name+"_FILE"), f.value}
		}
		for _, layer := range []struct {
			direct []candidate
			file   *candidate
			source Source
		}{{env, envFile, SourceEnv}, {cmd, cmdFile, SourceFlag}} {
			got, ok, p := choose(d, layer.direct, layer.file, layer.source)
			if p != nil {
				r.problems = append(r.problems, p)
			} else if ok {
				v = got
			}
		}
		r.vals[d.name] = v
	}
	return r, nil
}

// candidate is one place a layer sets a setting: its name there and its text.
type candidate struct{ name, value string }

// choose picks a layer's value for d from its direct candidates (the name and its
// aliases) and, for a secret, a file to read. It reports a setting given twice in
// the same layer, and a file it cannot read.
func choose(d spec, direct []candidate, file *candidate, src Source) (layered, bool, *SettingError) {
	all := slices.Clone(direct)
	if file != nil {
		all = append(all, *file)
	}
	for _, c := range all[min(1, len(all)):] {
		if file != nil || c.value != all[0].value {
			return layered{}, false, &SettingError{Name: d.name,
				Problem: fmt.Sprintf("is set twice, by %s and %s: keep only one", all[0].name, c.name)}
		}
	}
	switch {
	case file != nil:
		b, err := os.ReadFile(file.value)
		if err != nil {
			return layered{}, false, &SettingError{Name: file.name, Value: file.value, Problem: "cannot be read: " + err.Error()}
		}
		if strings.TrimSpace(string(b)) == "" {
			return layered{}, false, &SettingError{Name: file.name, Value: file.value, Problem: "names an empty file"}
		}
		return layered{string(b), SourceFile}, true, nil
	case len(direct) > 0:
		return layered{direct[0].value, src}, true, nil
	}
	return layered{}, false, nil
}

// build parses the resolved texts, with saved on top, into a Config. A value that does
// not parse is recorded as a problem and the default used instead.
func build(defs []spec, r resolved, saved Saved) Config {
	c := Config{Sources: make(map[string]Source, len(defs))}
	c.problems = append(c.problems, r.problems...)
	for _, d := range defs {
		v := r.vals[d.name]
		if s, ok := saved[d.name]; ok && d.savable {
			v = layered{s, SourceSaved}
		}
		c.Sources[d.name] = v.source
		if err := d.bind.parse(&c, v.value); err != nil {
			p := &SettingError{Name: d.name, Problem: err.Error()}
			if !d.secret {
				p.Value = strings.TrimSpace(v.value)
				if strings.HasSuffix(d.name, "_URL") || d.name == "SESSION_STORE" || d.name == "REVOCATION_STORE" {
					p.Value = ShowURLText(p.Value)
				}
			}
			c.problems = append(c.problems, p)
			_ = d.bind.parse(&c, d.def) // defaults always parse
		}
	}
	return c
}

// flagValue is a flag's text, parsed later by the setting's binding. It remembers
// whether the flag was given, even as "".
type flagValue struct {
	value   string
	set     bool
	boolean bool
}

// String returns the text given.
func (f *flagValue) String() string {
	if f == nil {
		return ""
	}
	return f.value
}

// Set records the text given.
func (f *flagValue) Set(s string) error {
	f.value, f.set = s, true
	return nil
}

// IsBoolFlag lets a boolean setting's flag stand alone: --local-restore.
func (f *flagValue) IsBoolFlag() bool { return f.boolean }
