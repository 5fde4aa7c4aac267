package settings

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/doctor"
)

func fileExists(dir string) bool {
	_, err := os.Stat(config.SavedPath(dir))
	return err == nil
}

// audits returns the settings audit lines logged so far.
func (f *fixture) audits(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(f.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["event"] == "settings_change" {
			out = append(out, m)
		}
	}
	return out
}

// checkAudit asserts there is exactly one audit line, with the given fields.
func checkAudit(t *testing.T, f *fixture, action, outcome string, changed []string) {
	t.Helper()
	lines := f.audits(t)
	if len(lines) != 1 {
		t.Fatalf("audit lines: got %d, want 1: %s", len(lines), f.logs)
	}
	a := lines[0]
	var got []string
	for _, c := range a["changed"].([]any) {
		got = append(got, c.(string))
	}
	if a["action"] != action || a["outcome"] != outcome || a["user"] != "alice" || a["audit"] != true || !slices.Equal(got, changed) {
		t.Errorf("audit line: got action=%v outcome=%v user=%v changed=%v, want %s %s alice %v",
			a["action"], a["outcome"], a["user"], got, action, outcome, changed)
	}
}

func TestSaveWithBadIssuerIsRefused(t *testing.T) {
	for name, issuer := range map[string]string{"closed port": closedIssuer(t), "404": notFoundIssuer(t)} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, goodEnv(startIdP(t, nil)), nil)
			rec := f.post(t, "save", map[string]string{"OIDC_ISSUER": issuer})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("status: got %d, want 422", rec.Code)
			}
			if !strings.Contains(rec.Body.String(), "Not saved") || checksOf(rec.Body.String())[doctor.Name(doctor.IDDiscovery)] {
				t.Errorf("page: got no failed discovery check and no %q", "Not saved")
			}
			if fileExists(f.dir) || len(f.appliedConfigs()) != 0 {
				t.Errorf("got settings.json=%v and %d Apply calls, want neither", fileExists(f.dir), len(f.appliedConfigs()))
			}
			checkAudit(t, f, "save", "refused", []string{"OIDC_ISSUER"})
		})
	}
}

func TestSaveWithGoodIssuer(t *testing.T) {
	good := startIdP(t, nil)
	f := newFixture(t, goodEnv(closedIssuer(t)), nil)
	// The browser posts every field; only the issuer differs from the live values.
	rec := f.post(t, "save", map[string]string{"type": "OIDC", "OIDC_ISSUER": good, "OIDC_CLIENT_ID": "gateway",
		"OIDC_CLIENT_SECRET": "", "OIDC_AUTH_METHOD": "implicit", "OIDC_SCOPES": "openid profile email", "ROLE_MAP": ""})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Saved and applied") {
		t.Fatalf("status: got %d, want 200 and %q", rec.Code, "Saved and applied")
	}
	info, err := os.Stat(config.SavedPath(f.dir))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("settings.json: got %v, %v; want mode 0600", info, err)
	}
	saved, err := config.ReadSaved(f.dir)
	if want := (config.Saved{"OIDC_ISSUER": good}); err != nil || !maps.Equal(saved, want) {
		t.Errorf("saved settings: got %v, %v; want %v", saved, err, want)
	}
	applied := f.appliedConfigs()
	if len(applied) != 1 || applied[0].Issuer != good || applied[0].Sources["OIDC_ISSUER"] != config.SourceSaved ||
		applied[0].ClientSecret.Reveal() != envSecret {
		t.Fatalf("Apply: got %d calls, want one with the new issuer, saved, and the environment's secret", len(applied))
	}
	checkAudit(t, f, "save", "applied", []string{"OIDC_ISSUER"})
	page := f.get(t, &admin).Body.String()
	if !strings.Contains(page, `value="`+good+`"`) || !strings.Contains(page, `f-OIDC_ISSUER">Issuer URL</label> <span class="badge source" id="src-OIDC_ISSUER">saved<`) {
		t.Errorf("page after save: got no saved issuer %s", good)
	}
}

func TestSecretIsNeverShownNorLogged(t *testing.T) {
	const newSecret = "new-secret-b81e0d42"
	good := startIdP(t, nil)
	f := newFixture(t, goodEnv(good), nil)
	bodies := []string{f.post(t, "test", map[string]string{"OIDC_CLIENT_SECRET": newSecret}).Body.String()}
	rec := f.post(t, "save", map[string]string{"OIDC_CLIENT_SECRET": newSecret})
	if rec.Code != http.StatusOK {
		t.Fatalf("save: got %d, want 200", rec.Code)
	}
	bodies = append(bodies, rec.Body.String(), f.get(t, &admin).Body.String())
	// An empty secret keeps the saved one.
	bodies = append(bodies, f.post(t, "save", map[string]string{"OIDC_CLIENT_SECRET": "", "OIDC_CLIENT_ID": "gateway-2"}).Body.String())
	for i, b := range append(bodies, f.logs.String()) {
		for _, secret := range []string{envSecret, newSecret} {
			if strings.Contains(b, secret) {
				t.Errorf("output %d: got the secret %q", i, secret)
			}
		}
	}
	applied := f.appliedConfigs()
	if len(applied) != 2 || applied[0].ClientSecret.Reveal() != newSecret || applied[1].ClientSecret.Reveal() != newSecret ||
		applied[1].ClientID != "gateway-2" {
		t.Errorf("Apply: got %d calls, want two with the new secret, the second with the new client ID", len(applied))
	}
	raw, _ := os.ReadFile(config.SavedPath(f.dir))
	if strings.Contains(string(raw), newSecret) {
		t.Errorf("settings.json holds the client secret in clear:\n%s", raw)
	}
	saved, _ := config.ReadSaved(f.dir)
	if opened, err := testSealer(t).Open(saved); err != nil || opened["OIDC_CLIENT_SECRET"] != newSecret {
		t.Errorf("saved settings: the new secret is not saved sealed (%v)", err)
	}
	if lines := f.audits(t); len(lines) != 2 || !strings.Contains(f.logs.String(), `"changed":["OIDC_CLIENT_SECRET"]`) {
		t.Errorf("audit: got %d lines, want 2, the first naming OIDC_CLIENT_SECRET", len(lines))
	}
}

func TestApplyFailureRollsBack(t *testing.T) {
	good := startIdP(t, nil)
	tests := []struct {
		name   string
		before config.Saved // nil: no settings file
	}{
		{"no settings file before", nil},
		{"settings file before", config.Saved{"OIDC_CLIENT_ID": "old-client"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, goodEnv(good), tt.before)
			f.applyErr = errors.New("building the sign-in flow failed")
			rec := f.post(t, "save", map[string]string{"OIDC_ISSUER": good + "/", "OIDC_CLIENT_ID": "new-client"})
			if body := rec.Body.String(); rec.Code != http.StatusInternalServerError || !strings.Contains(body, "could not be applied") ||
				!strings.Contains(body, "building the sign-in flow failed") {
				t.Errorf("status: got %d, want 500 saying why the change was not applied", rec.Code)
			}
			if exists := fileExists(f.dir); exists != (tt.before != nil) {
				t.Errorf("settings.json exists: got %v, want %v", exists, tt.before != nil)
			}
			if saved, _ := config.ReadSaved(f.dir); tt.before != nil && !maps.Equal(saved, tt.before) {
				t.Errorf("settings.json: got %v, want it restored to %v", saved, tt.before)
			}
			checkAudit(t, f, "save", "failed", []string{"OIDC_ISSUER", "OIDC_CLIENT_ID"})
			if page := f.get(t, &admin).Body.String(); strings.Contains(page, `value="new-client"`) {
				t.Errorf("page after the failure: got the change that was not applied")
			}
		})
	}
}

func TestRevert(t *testing.T) {
	envIssuer, savedIssuer := startIdP(t, nil), startIdP(t, nil)
	f := newFixture(t, goodEnv(envIssuer), config.Saved{"OIDC_ISSUER": savedIssuer, "OIDC_CLIENT_ID": "saved-client"})
	rec := f.post(t, "revert", map[string]string{"confirm": "yes"})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Reverted") {
		t.Fatalf("status: got %d, want 200 and %q", rec.Code, "Reverted")
	}
	if fileExists(f.dir) {
		t.Errorf("settings.json: got still there, want removed")
	}
	applied := f.appliedConfigs()
	if len(applied) != 1 || applied[0].Issuer != envIssuer || applied[0].ClientID != "gateway" {
		t.Fatalf("Apply: got %d calls, want one with the environment's issuer and client ID", len(applied))
	}
	checkAudit(t, f, "revert", "applied", []string{"OIDC_CLIENT_ID", "OIDC_ISSUER"})
	if page := f.get(t, &admin).Body.String(); !strings.Contains(page, `f-OIDC_ISSUER">Issuer URL</label> <span class="badge source" id="src-OIDC_ISSUER">environment<`) {
		t.Errorf("page after revert: the issuer's source is not the environment")
	}
}

func TestRevertRefusedWhenEnvironmentFails(t *testing.T) {
	saved := config.Saved{"OIDC_ISSUER": startIdP(t, nil)}
	f := newFixture(t, goodEnv(closedIssuer(t)), saved)
	rec := f.post(t, "revert", map[string]string{"confirm": "yes"})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("status: got %d, want 422", rec.Code)
	}
	if got, _ := config.ReadSaved(f.dir); !maps.Equal(got, saved) || len(f.appliedConfigs()) != 0 {
		t.Errorf("after a refused revert: got saved %v and %d Apply calls, want %v and none", got, len(f.appliedConfigs()), saved)
	}
	checkAudit(t, f, "revert", "refused", []string{"OIDC_ISSUER"})
}

func TestSaveReplacesSettingsSetAsideAtStart(t *testing.T) {
	good := startIdP(t, nil)
	f := newFixture(t, goodEnv(good), config.Saved{"ROLE_MAP": "admins=root"})
	page := f.get(t, &admin).Body.String()
	if !strings.Contains(page, "were not applied at start") {
		t.Errorf("page: got no notice that the saved settings were set aside")
	}
	rec := f.post(t, "save", map[string]string{"OIDC_CLIENT_ID": "gateway-2"})
	if rec.Code != http.StatusOK {
		t.Fatalf("save: got %d, want 200: the set-aside ROLE_MAP must not fail it", rec.Code)
	}
	if got, _ := config.ReadSaved(f.dir); !maps.Equal(got, config.Saved{"OIDC_CLIENT_ID": "gateway-2"}) {
		t.Errorf("saved settings: got %v, want only the new client ID", got)
	}
}

// TestRevertAsksFirst: the first press of Revert only asks; nothing is removed or
// applied until the confirmation comes back. With nothing saved the button is off.
func TestRevertAsksFirst(t *testing.T) {
	envIssuer := startIdP(t, nil)
	saved := config.Saved{"OIDC_CLIENT_ID": "saved-client"}
	f := newFixture(t, goodEnv(envIssuer), saved)
	rec := f.post(t, "revert", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `id="revert-confirm"`) || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("first Revert: got %d without the confirmation form: %q", rec.Code, body)
	}
	if got, _ := config.ReadSaved(f.dir); !maps.Equal(got, saved) || len(f.appliedConfigs()) != 0 {
		t.Errorf("first Revert changed something: saved %v, %d Apply calls", got, len(f.appliedConfigs()))
	}
	if strings.Contains(body, `disabled aria-describedby="revert-help"`) {
		t.Errorf("with saved settings the Revert button is disabled")
	}
	empty := newFixture(t, goodEnv(envIssuer), nil)
	if page := empty.get(t, &admin).Body.String(); !strings.Contains(page, `value="revert" class="danger" formnovalidate disabled aria-describedby="revert-help"`) {
		t.Errorf("with nothing saved the Revert button is not disabled: %q", page)
	}
}

// TestSaveWithWildcardEmailDomainIsRefused: a value the configuration refuses is
// refused on the page too, with the reason, and nothing is saved or applied.
func TestSaveWithWildcardEmailDomainIsRefused(t *testing.T) {
	f := newFixture(t, goodEnv(startIdP(t, nil)), nil)
	rec := f.post(t, "save", map[string]string{"ALLOWED_EMAIL_DOMAINS": "*.example.com"})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("status: got %d, want 422", rec.Code)
	}
	if body := rec.Body.String(); !strings.Contains(body, "Not saved") || !strings.Contains(body, "is not a domain: list the exact domains after the @") {
		t.Errorf("page: want %q and the reason:\n%s", "Not saved", body)
	}
	if fileExists(f.dir) || len(f.appliedConfigs()) != 0 {
		t.Errorf("got settings.json=%v and %d Apply calls, want neither", fileExists(f.dir), len(f.appliedConfigs()))
	}
	checkAudit(t, f, "save", "refused", []string{"ALLOWED_EMAIL_DOMAINS"})
}
