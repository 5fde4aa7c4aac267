package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/testidp"
)

// readyz asks g's ops handler for /readyz.
func readyz(g *gateway) (int, string) {
	rec := httptest.NewRecorder()
	g.ops.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code, rec.Body.String()
}

// wireWithCorruptSettings wires a gateway from env over a DATA_DIR whose
// settings.json is not JSON.
func wireWithCorruptSettings(t *testing.T, env map[string]string) (*gateway, func(config.Saved) (config.Config, error)) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	env["DATA_DIR"] = dir
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := config.Load(nil, lookup)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	if cfg.SavedError == nil {
		t.Fatalf("a corrupt settings.json gave no SavedError")
	}
	load := func(s config.Saved) (config.Config, error) { return config.LoadWithSaved(nil, lookup, s) }
	g, err := wire(cfg, load, nil, slog.New(slog.DiscardHandler), nil) // tracing off
	if err != nil {
		t.Fatalf("wire: %v", err)
	}
	t.Cleanup(func() { g.Close() })
	return g, load
}

func TestReadinessFollowsTheLiveSettings(t *testing.T) {
	idp := newIdP(t, testidp.Options{})
	g, load := wireWithCorruptSettings(t, map[string]string{"OIDC_ISSUER": idp.Issuer(), "OIDC_CLIENT_ID": "wandb"})
	if code, body := readyz(g); code != http.StatusServiceUnavailable || !strings.Contains(body, `"settings":"saved settings`) {
		t.Fatalf("/readyz with a corrupt settings.json: %d %s; want 503 naming the settings", code, body)
	}
	// What Revert on the settings page applies: the environment's settings alone.
	reverted, err := load(config.Saved{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.live.Apply(context.Background(), reverted); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if code, body := readyz(g); code != http.StatusOK {
		t.Fatalf("/readyz after Revert: %d %s; want 200 at once", code, body)
	}
}

func TestLocalRestoreIsAlwaysReady(t *testing.T) {
	// No IdP settings at all, and a corrupt settings.json: still ready.
	g, _ := wireWithCorruptSettings(t, map[string]string{"LOCAL_RESTORE": "true"})
	if code, body := readyz(g); code != http.StatusOK {
		t.Fatalf("/readyz with LOCAL_RESTORE: %d %s; want 200", code, body)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/oidc/login?rd=%2Fapp", nil)
	req.Header.Set("Accept", "text/html")
	g.public.ServeHTTP(rec, req)
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/oidc/restore" {
		t.Fatalf("/oidc/login with LOCAL_RESTORE: %d Location %q; want 302 to /oidc/restore", rec.Code, rec.Header().Get("Location"))
	}
}
