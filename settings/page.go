package settings

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/web"
)

// secretKept is what the page shows for a secret that is set. The value never leaves
// the gateway.
const secretKept = "set"

// view is what one response of the page shows.
type view struct {
	cfg       config.Config // values and sources shown
	form      url.Values    // submitted values to show instead, so edits survive a failed test
	checks    []web.Check
	message   string
	err       string
	newSecret bool // a new secret was submitted: it is not echoed and must be entered again
	// confirmRevert asks the admin to confirm Revert before it runs.
	confirmRevert bool
}

// labelled are the settings with a label and help line in the web string tables
// (settings.field.<NAME>, settings.help.<NAME>); another setting shows its name.
var labelled = []string{"type", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_AUTH_METHOD",
	"OIDC_SCOPES", "OIDC_GROUPS_CLAIM", "OIDC_USERNAME_CLAIM", "ALLOWED_GROUPS", "ALLOWED_EMAIL_DOMAINS",
	"ROLE_MAP", "ALLOWED_TENANTS"}

// label returns the message keys of a setting's label and help line, "" for a
// setting without them.
func label(name string) (string, string) {
	if !slices.Contains(labelled, name) {
		return "", ""
	}
	return "settings.field." + name, "settings.help." + name
}

// groupOf names the heading a setting is shown under.
func groupOf(name string) string {
	switch name {
	case "OIDC_GROUPS_CLAIM", "OIDC_USERNAME_CLAIM", "ROLE_MAP":
		return "claims"
	case "ALLOWED_GROUPS", "ALLOWED_EMAIL_DOMAINS", "ALLOWED_TENANTS":
		return "access"
	}
	return "provider"
}

// groups puts the fields under their headings, in the order Provider, Claims, Access.
func groups(fields []web.SettingField) []web.FieldGroup {
	out := []web.FieldGroup{{Key: "provider"}, {Key: "claims"}, {Key: "access"}}
	for _, f := range fields {
		for i := range out {
			if out[i].Key == groupOf(f.Name) {
				out[i].Fields = append(out[i].Fields, f)
			}
		}
	}
	return slices.DeleteFunc(out, func(g web.FieldGroup) bool { return len(g.Fields) == 0 })
}

// render writes the settings page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, id claims.Identity, v view) error {
	env, _ := h.opts.Load(config.Saved{}) // the layers under the saved values; problems show elsewhere
	page := web.SettingsPage{
		Groups:    groups(fields(v.cfg, env, v.form, v.newSecret)),
		CSRFToken: h.opts.CSRF.Token(w, r),
		Message:   v.message,
		Error:     v.err,
		Banner:    h.opts.Banner,
		Checks:    v.checks,
		User:      displayName(id),
		CanRevert: len(h.readSaved()) > 0,
		// What the admin registers at the IdP: the callback, and PUBLIC_URL/ for the
		// return after sign-out (the gateway then shows its signed-out page).
		RedirectURI:   publicBase(v.cfg, r) + "/oidc/callback",
		PostLogoutURI: publicBase(v.cfg, r) + "/",
		ConfirmRevert: v.confirmRevert,
	}
	for _, risk := range v.cfg.Risks() {
		page.Risks = append(page.Risks, web.Risk{Setting: risk.Name, Value: risk.Value, Text: risk.Problem})
	}
	if page.Error == "" && v.cfg.SavedError != nil {
		page.Error = "The saved settings were not applied at start: " + v.cfg.SavedError.Error()
	}
	return h.opts.Renderer.Render(w, r, status, web.PageSettings, page)
}

// fields lists the page's rows: the fixed sign-in type, then every savable setting of
// cfg with its source and, for a saved value, what flags or environment give
// underneath. Secrets show only whether they are set.
func fields(cfg, env config.Config, form url.Values, newSecret bool) []web.SettingField {
	typeLabel, typeHelp := label("type")
	out := []web.SettingField{{Name: "type", Label: typeLabel, Value: "OIDC", Source: "fixed",
		Options: []string{"OIDC"}, Help: typeHelp}}
	under := map[string]config.Setting{}
	for _, s := range env.Settings() {
		under[s.Name] = s
	}
	for _, s := range cfg.Settings() {
		if !s.Savable {
			continue
		}
		name, help := label(s.Name)
		f := web.SettingField{Name: s.Name, Label: name, Help: help, Source: string(s.Source), Secret: s.Secret}
		// Underneath a saved value, show what flags or environment would give.
		e := under[s.Name]
		fromEnv := s.Source == config.SourceSaved && e.Source != "" && e.Source != config.SourceDefault
		switch {
		case s.Secret:
			if s.Value != "" {
				f.Value = secretKept
			}
			if fromEnv && e.Value != "" {
				f.EnvValue = secretKept
			}
			if newSecret {
				f.Help, f.Edited = "settings.help.new_secret", true
			}
		default:
			f.Value = s.Value
			if vals, ok := form[s.Name]; ok && len(vals) > 0 {
				f.Value = strings.TrimSpace(vals[0])
				f.Edited = f.Value != s.Value
			}
			if fromEnv {
				f.EnvValue = e.Value
			}
		}
		if s.Name == "OIDC_AUTH_METHOD" {
			f.Options = []string{config.MethodImplicit, config.MethodPKCE}
		}
		out = append(out, f)
	}
	return out
}

// proposal returns the settings to save for a submitted form: those saved before,
// with every submitted value that differs from cur's on top. An empty secret keeps
// the current one. newSecret reports a secret that differs.
func proposal(form url.Values, cur config.Config, before config.Saved) (saved config.Saved, newSecret bool) {
	saved = maps.Clone(before)
	if saved == nil {
		saved = config.Saved{}
	}
	for _, s := range cur.Settings() {
		vals, ok := form[s.Name]
		if !s.Savable || !ok || len(vals) == 0 {
			continue
		}
		v := strings.TrimSpace(vals[0])
		if s.Secret {
			if v != "" && v != secretValue(cur, s.Name) {
				saved[s.Name], newSecret = v, true
			}
			continue
		}
		if v != s.Value {
			saved[s.Name] = v
		}
	}
	return saved, newSecret
}

// changedFields names the savable settings whose effective value differs between
// from and to. Secrets are compared, never shown.
func changedFields(from, to config.Config) []string {
	before := map[string]string{}
	for _, s := range from.Settings() {
		before[s.Name] = s.Value
	}
	var names []string
	for _, s := range to.Settings() {
		switch {
		case !s.Savable:
		case s.Secret && secretValue(from, s.Name) != secretValue(to, s.Name):
			names = append(names, s.Name)
		case !s.Secret && before[s.Name] != s.Value:
			names = append(names, s.Name)
		}
	}
	return names
}

// secretValue is the value of a savable secret setting.
func secretValue(c config.Config, name string) string {
	if name == "OIDC_CLIENT_SECRET" {
		return c.ClientSecret.Reveal()
	}
	return ""
}

// publicBase is PUBLIC_URL, or the base URL of r when it is not set.
func publicBase(cfg config.Config, r *http.Request) string {
	if cfg.PublicURL != nil {
		return strings.TrimSuffix(cfg.PublicURL.String(), "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// displayName is how the signed-in admin is named on the page and in audit lines.
func displayName(id claims.Identity) string {
	for _, n := range []string{id.Username, id.Email, id.Subject} {
		if n != "" {
			return n
		}
	}
	return "unknown"
}
