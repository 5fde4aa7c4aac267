package session

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateSecretCreatesOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	first, err := LoadOrCreateSecret(dir)
	if err != nil {
		t.Fatalf("first LoadOrCreateSecret: %v", err)
	}
	if len(first) != 32 {
		t.Errorf("secret length = %d, want 32", len(first))
	}
	path := filepath.Join(dir, SecretFileName)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat secret file: %v", err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("secret file mode = %o, want 600", got)
	}
	dinfo, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("stat data dir: %v", err)
	}
	if got := dinfo.Mode().Perm(); got != 0o700 {
		t.Errorf("data dir mode = %o, want 700", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read secret file: %v", err)
	}
	if got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data))); err != nil || !bytes.Equal(got, first) {
		t.Errorf("file holds %q (%v), want base64 of the returned secret", data, err)
	}

	second, err := LoadOrCreateSecret(dir)
	if err != nil {
		t.Fatalf("second LoadOrCreateSecret: %v", err)
	}
	if !bytes.Equal(second, first) {
		t.Errorf("second call returned another secret, want the stored one")
	}
	if _, err := NewCodec(first); err != nil {
		t.Errorf("NewCodec(generated secret): %v", err)
	}
}

// TestLoadOrCreateSecretRace has several callers race on an empty DATA_DIR, as
// replicas starting together on a shared volume do: all must get one secret and
// no temporary file may be left behind.
func TestLoadOrCreateSecretRace(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	secrets := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { secrets[i], errs[i] = LoadOrCreateSecret(dir) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(secrets[i], secrets[0]) {
			t.Errorf("caller %d got a different secret than caller 0", i)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read dir: %v", err)
	}
	if len(entries) != 1 || entries[0].Name() != SecretFileName {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("data dir holds %v, want only %s", names, SecretFileName)
	}
}

func TestLoadOrCreateSecretReadsExisting(t *testing.T) {
	want := testSecret(9)
	tests := []struct {
		name, content string
	}{
		{"std padded with newline", base64.StdEncoding.EncodeToString(want) + "\n"},
		{"raw url", base64.RawURLEncoding.EncodeToString(want)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, SecretFileName), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadOrCreateSecret(dir)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("LoadOrCreateSecret = %x, %v; want %x", got, err, want)
			}
		})
	}
}

func TestLoadOrCreateSecretErrorsSayWhatToDo(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T) string
		wantSub []string
	}{
		{"bad base64", func(t *testing.T) string {
			return dirWithSecret(t, "not base64 at all!!")
		}, []string{"not base64", "delete it", "COOKIE_SECRET"}},
		{"too short", func(t *testing.T) string {
			return dirWithSecret(t, base64.StdEncoding.EncodeToString([]byte("short")))
		}, []string{"5 bytes", "COOKIE_SECRET"}},
		{"empty file", func(t *testing.T) string {
			return dirWithSecret(t, "")
		}, []string{"0 bytes", "COOKIE_SECRET"}},
		{"data dir under a file", func(t *testing.T) string {
			return filepath.Join(notADir, "data")
		}, []string{"DATA_DIR", "COOKIE_SECRET"}},
		{"no data dir", func(t *testing.T) string { return "" }, []string{"DATA_DIR", "COOKIE_SECRET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadOrCreateSecret(tt.setup(t))
			if err == nil {
				t.Fatalf("LoadOrCreateSecret = %x, nil; want an error", got)
			}
			for _, sub := range tt.wantSub {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q does not mention %q", err, sub)
				}
			}
		})
	}
}

func dirWithSecret(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, SecretFileName), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}
