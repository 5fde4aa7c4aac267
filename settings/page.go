package settings

import (
	"maps"
	"net/http"
	"net/url"
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
}

// label returns the human name and help line of a savable setting; a setting not
// listed here shows its variable name.
func label(name string) (string, string) {
	switch name {
	case "OIDC_ISSUER":
		return "Issuer URL", "Discovery is read from the issuer URL + /.well-known/openid-configuration."
	case "OIDC_CLIENT_ID":
		return "Client ID", "The client (application) ID registered at the identity provider."
	case "OIDC_CLIENT_SECRET":
		return "Client secret", "Only for identity providers that require one (confidential clients)."
	case "OIDC_AUTH_METHOD":
		return "Authentication method", "implicit: ID token by form_post; pkce: authorization code with PKCE (S256)."
	case "OIDC_SCOPES":
		return "Scopes", "Space-separated; must include openid."
	case "OIDC_GROUPS_CLAIM":
		return "Groups claim", "Claim name or dotted path; empty means the identity provider's usual claim."
	case "OIDC_USERNAME_CLAIM":
		return "User name claim", "Claim name or dotted path; empty means the identity provider's usual claim."
	case "ALLOWED_GROUPS":
		return "Allowed groups", "Comma-separated; empty lets in everyone the identity provider signs in."
	case "ALLOWED_EMAIL_DOMAINS":
		return "Allowed e-mail domains", "Comma-separated; empty lets in every domain."
	case "ROLE_MAP":
		return "Role map", "Comma-separated group=role pairs (admin, member or viewer)."
	case "ALLOWED_TENANTS":
		return "Allowed tenants", "Comma-separated Entra tenant IDs; required with a common or organizations issuer."
	}
	return "", ""
}

// render writes the settings page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, id claims.Identity, v view) error {
	env, _ := h.opts.Load(config.Saved{}) // the layers under the saved values; problems show elsewhere
	page := web.SettingsPage{
		Fields:    fields(v.cfg, env, v.form, v.newSecret),
		CSRFToken: h.opts.CSRF.Token(w, r),
		Message:   v.message,
		Error:     v.err,
		Banner:    h.opts.Banner,
		Checks:    v.checks,
		User:      displayName(id),
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
	out := []web.SettingField{{Name: "type", Label: "Type", Value: "OIDC", Source: "fixed",
		Options: []string{"OIDC"}, Help: "Users sign in with OpenID Connect."}}
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
				f.Help = "The new secret was not kept by the test: enter it again to save it."
			}
		default:
			f.Value = s.Value
			if vals, ok := form[s.Name]; ok && len(vals) > 0 {
				f.Value = strings.TrimSpace(vals[0])
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

// displayName is how the signed-in admin is named on the page and in audit lines.
func displayName(id claims.Identity) string {
	for _, n := range []string{id.Username, id.Email, id.Subject} {
		if n != "" {
			return n
		}
	}
	return "unknown"
}
