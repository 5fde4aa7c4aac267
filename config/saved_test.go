package config

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSaved(t *testing.T) {
	tests := []struct {
		name    string
		content *string // nil: no file
		want    Saved
		wantErr string
	}{
		{"missing file", nil, Saved{}, ""},
		{"object", ptr(`{"OIDC_ISSUER": "https://idp.example.com", "ROLE_MAP": "a=admin"}`),
			Saved{"OIDC_ISSUER": "https://idp.example.com", "ROLE_MAP": "a=admin"}, ""},
		{"empty object", ptr(`{}`), Saved{}, ""},
		{"not JSON", ptr(`OIDC_ISSUER=https://idp.example.com`), nil, "are not a JSON object of setting names to strings"},
		{"truncated", ptr(`{"OIDC_ISSUER": "https://idp.exa`), nil, "are not a JSON object of setting names to strings"},
		{"empty file", ptr(``), nil, "are not a JSON object of setting names to strings"},
		{"number value", ptr(`{"OIDC_SCOPES": 3}`), nil, "are not a JSON object of setting names to strings"},
		{"unsavable name", ptr(`{"UPSTREAM_URL": "http://evil.example.com"}`), nil, `"UPSTREAM_URL" cannot be saved`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.content != nil {
				if err := os.WriteFile(SavedPath(dir), []byte(*tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadSaved(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), SavedPath(dir)) {
					t.Errorf("ReadSaved error = %v, want one naming %s and containing %q", err, SavedPath(dir), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadSaved: %v", err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("ReadSaved = %v, want %v", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestWriteSavedRoundTripAndMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-yet-created")
	for _, s := range []Saved{
		{"OIDC_ISSUER": "https://old.example.com", "OIDC_CLIENT_SECRET": "s3cret"},
		{"OIDC_ISSUER": "https://new.example.com"},
	} {
		if err := WriteSaved(dir, s); err != nil {
			t.Fatalf("WriteSaved: %v", err)
		}
		got, err := ReadSaved(dir)
		if err != nil {
			t.Fatalf("ReadSaved: %v", err)
		}
		if !maps.Equal(got, s) {
			t.Errorf("ReadSaved after WriteSaved = %v, want %v", got, s)
		}
		fi, err := os.Stat(SavedPath(dir))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("settings.json mode = %v, want %v", got, want)
		}
		if got := dirEntries(t, dir); len(got) != 1 || got[0] != "settings.json" {
			t.Errorf("files in DATA_DIR = %v, want only settings.json (no temporary files left)", got)
		}
	}
}

func TestWriteSavedFailureLeavesOldFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		saved Saved
	}{
		{"unsavable name", nil, Saved{"OIDC_ISSUER": "https://new.example.com", "UPSTREAM_URL": "http://x"}},
		{"rename fails", func(t *testing.T, dir string) {
			// A directory in the way of the rename: the write must fail cleanly.
			if err := os.Remove(SavedPath(dir)); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(SavedPath(dir), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(SavedPath(dir), "keep"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, Saved{"OIDC_ISSUER": "https://new.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			old := Saved{"OIDC_ISSUER": "https://old.example.com"}
			if err := WriteSaved(dir, old); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before := dirEntries(t, dir)
			if err := WriteSaved(dir, tt.saved); err == nil {
				t.Fatal("WriteSaved succeeded, want an error")
			}
			if got := dirEntries(t, dir); strings.Join(got, ",") != strings.Join(before, ",") {
				t.Errorf("files after a failed WriteSaved = %v, want %v", got, before)
			}
			if tt.setup == nil {
				if got, err := ReadSaved(dir); err != nil || !maps.Equal(got, old) {
					t.Errorf("ReadSaved after a failed WriteSaved = %v, %v; want %v", got, err, old)
				}
			}
		})
	}
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestLoadWithBadSavedSettings(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		wantInErr string
	}{
		{"corrupt file", `{"OIDC_ISSUER": `, "are not a JSON object"},
		{"unsavable name", `{"LOG_LEVEL": "debug"}`, `"LOG_LEVEL" cannot be saved`},
		{"invalid value", `{"OIDC_AUTH_METHOD": "oauth", "OIDC_CLIENT_ID": "saved-client"}`, `OIDC_AUTH_METHOD="oauth": must be "implicit" or "pkce"`},
		{"unparsable value", `{"ROLE_MAP": "admins"}`, `ROLE_MAP="admins": must be group=role pairs`},
		{"required value emptied", `{"OIDC_ISSUER": ""}`, "OIDC_ISSUER is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := minimalEnv(t, map[string]string{"OIDC_AUTH_METHOD": "pkce"})
			if err := os.WriteFile(SavedPath(e["DATA_DIR"]), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(nil, env(e))
			if err != nil {
				t.Fatalf("Load error = %v, want none: bad saved settings must not stop the gateway", err)
			}
			if c.SavedError == nil || !strings.Contains(c.SavedError.Error(), tt.wantInErr) ||
				!strings.Contains(c.SavedError.Error(), SavedPath(e["DATA_DIR"])) {
				t.Errorf("SavedError = %v, want one naming the file and containing %q", c.SavedError, tt.wantInErr)
			}
			if c.Issuer != e["OIDC_ISSUER"] || c.ClientID != e["OIDC_CLIENT_ID"] || c.AuthMethod != MethodPKCE {
				t.Errorf("Load = issuer %q, client %q, method %q; want the environment's values", c.Issuer, c.ClientID, c.AuthMethod)
			}
			for name, src := range c.Sources {
				if src == SourceSaved {
					t.Errorf("Sources[%s] = saved, want no saved setting applied", name)
				}
			}
		})
	}
}

func TestLoadSaved(t *testing.T) {
	e := env(minimalEnv(t, nil))
	c, err := LoadWithSaved(nil, e, Saved{"OIDC_ISSUER": "https://new.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Issuer, "https://new.example.com"; got != want {
		t.Errorf("Issuer = %q, want %q", got, want)
	}
	if got, want := c.Sources["OIDC_ISSUER"], SourceSaved; got != want {
		t.Errorf("Sources[OIDC_ISSUER] = %q, want %q", got, want)
	}
	_, err = LoadWithSaved(nil, e, Saved{"OIDC_ISSUER": "http://idp.example.com"})
	if got, want := errLines(err), `OIDC_ISSUER="http://idp.example.com": must use https://`; len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Errorf("LoadWithSaved error = %v, want one problem starting %q", err, want)
	}
}
