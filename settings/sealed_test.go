package settings

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/config"
)

func TestFailedSaveKeepsACorruptSettingsFile(t *testing.T) {
	good := startIdP(t, nil)
	f := newFixture(t, goodEnv(good), nil)
	corrupt := []byte("{\"OIDC_CLIENT_ID\": \"half a file")
	if err := os.WriteFile(config.SavedPath(f.dir), corrupt, 0o600); err != nil {
		t.Fatal(err)
	}
	f.applyErr = errors.New("building the sign-in flow failed")
	if rec := f.post(t, "save", map[string]string{"OIDC_CLIENT_ID": "new-client"}); rec.Code != 500 {
		t.Fatalf("save that cannot be applied: status %d, want 500", rec.Code)
	}
	got, err := os.ReadFile(config.SavedPath(f.dir))
	if err != nil || string(got) != string(corrupt) {
		t.Fatalf("settings.json after a failed save: %q, %v; want the corrupt file kept byte for byte", got, err)
	}
}

func TestClearSecretFromAnOlderVersionIsReadAndSealedAtTheNextSave(t *testing.T) {
	const oldSecret = "clear-secret-6e21a0"
	good := startIdP(t, nil)
	// An older version wrote the secret in clear.
	f := newFixture(t, goodEnv(good), config.Saved{"OIDC_CLIENT_SECRET": oldSecret})
	if got := f.h.opts.Live.Current().ClientSecret.Reveal(); got != oldSecret {
		t.Fatalf("live client secret from the older file: got %q, want %q", got, oldSecret)
	}
	if rec := f.post(t, "save", map[string]string{"OIDC_CLIENT_ID": "gateway-2", "OIDC_CLIENT_SECRET": ""}); rec.Code != 200 {
		t.Fatalf("save: status %d, want 200\n%s", rec.Code, rec.Body)
	}
	raw, _ := os.ReadFile(config.SavedPath(f.dir))
	if strings.Contains(string(raw), oldSecret) || !strings.Contains(string(raw), `"sealed:v1:`) {
		t.Fatalf("settings.json after the save: %s; want the kept secret sealed", raw)
	}
	applied := f.appliedConfigs()
	if len(applied) != 1 || applied[0].ClientSecret.Reveal() != oldSecret {
		t.Fatalf("applied: %d configs; want one keeping the old secret", len(applied))
	}
}
