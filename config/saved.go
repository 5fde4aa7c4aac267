package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// savedFile is the name of the saved settings in DATA_DIR.
const savedFile = "settings.json"

// Saved is the settings saved on the settings page, by variable name. Only the
// names Savable lists may appear. A saved value overrides flags and environment,
// even when it is empty; a name left out falls back to them.
type Saved map[string]string

// SavedPath is where the saved settings of dataDir live.
func SavedPath(dataDir string) string { return filepath.Join(dataDir, savedFile) }

// ReadSaved reads the saved settings of dataDir. A missing file is no settings, not
// an error; a file that is not a JSON object of savable names to strings is an error
// naming the file and the problem.
func ReadSaved(dataDir string) (Saved, error) {
	path := SavedPath(dataDir)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Saved{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read saved settings: %w", err)
	}
	var s Saved
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("saved settings %s are not a JSON object of setting names to strings (%v): fix the file or delete it", path, err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("saved settings %s: %w", path, err)
	}
	if s == nil {
		s = Saved{}
	}
	return s, nil
}

// WriteSaved replaces the saved settings of dataDir atomically: it writes a temporary
// file in dataDir (mode 0600, created with the directory when missing), syncs it,
// renames it over settings.json and syncs the directory. Readers see the old file or
// the new one, never a part.
func WriteSaved(dataDir string, s Saved) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return writeSavedFile(dataDir, append(b, '\n'))
}

// RestoreSavedFile puts raw back as settings.json of dataDir, atomically and byte for
// byte: a failed change restores the file it found, even one that cannot be read as
// settings, since the operator may still need it.
func RestoreSavedFile(dataDir string, raw []byte) error { return writeSavedFile(dataDir, raw) }

// writeSavedFile replaces settings.json of dataDir with b atomically.
func writeSavedFile(dataDir string, b []byte) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, "."+savedFile+"-*")
	if err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := os.Rename(tmp.Name(), SavedPath(dataDir)); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	committed = true
	return syncDir(dataDir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("save settings: sync %s: %w", dir, err)
	}
	defer func() { _ = d.Close() }()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("save settings: sync %s: %w", dir, err)
	}
	return nil
}

// check refuses names that may not be saved.
func (s Saved) check() error {
	savable := Savable()
	var bad []string
	for name := range s {
		if !slices.Contains(savable, name) {
			bad = append(bad, fmt.Sprintf("%q", name))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("%s cannot be saved (only %s can): remove it", strings.Join(bad, ", "), strings.Join(savable, ", "))
}
