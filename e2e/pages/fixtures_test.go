package pages

import (
	"net/http"

	"github.com/ssogate/ssogate/web"
)

// shot is one page to render and photograph: a name for its files, the page and its
// data as the gateway would pass them.
type shot struct {
	name   string
	page   string
	status int
	data   any
}

// shots lists every page the gateway renders, each in a state people meet.
func shots() []shot {
	banner := "banner.local_restore"
	return []shot{
		{"signin-cancelled", web.PageError, http.StatusBadRequest, web.ErrorPage{Key: "signin.cancelled",
			IdPCode: "access_denied", Detail: "End-User aborted interaction", RetryURL: "/oidc/login?rd=%2Fruns",
			RequestID: "7f3a9c2e41d05b86", Status: 400}},
		{"signin-state", web.PageError, http.StatusBadRequest, web.ErrorPage{Key: "signin.state_mismatch",
			RetryURL: "/oidc/login", RequestID: "7f3a9c2e41d05b86", Status: 400}},
		{"upstream-502", web.PageError, http.StatusBadGateway, web.ErrorPage{Key: "error.upstream_unavailable",
			RetryURL: "/runs/42", RequestID: "7f3a9c2e41d05b86", Status: 502}},
		{"store-503", web.PageError, http.StatusServiceUnavailable, web.ErrorPage{Key: "error.store_unavailable",
			RequestID: "7f3a9c2e41d05b86", Status: 503}},
		{"forbidden-app", web.PageForbidden, http.StatusForbidden, web.ForbiddenPage{User: "김지수", Email: "jisoo.kim@example.com",
			ReasonKey: "forbidden.reason.group_not_allowed", ReasonArgs: map[string]string{"groups": "wandb-users, ml-platform"},
			RequestID: "7f3a9c2e41d05b86"}},
		{"forbidden-settings", web.PageForbidden, http.StatusForbidden, web.ForbiddenPage{Settings: true, User: "Bob Builder",
			Email: "bob@example.com", RequestID: "7f3a9c2e41d05b86"}},
		{"signed-out", web.PageSignedOut, http.StatusOK, web.SignedOutPage{}},
		{"logout-confirm", web.PageLogoutConfirm, http.StatusOK, web.LogoutConfirmPage{User: "김지수 (jisoo.kim@example.com)",
			CSRFToken: "x", ReturnURL: "/runs/42"}},
		{"restore-mode", web.PageRestoreMode, http.StatusUnauthorized, web.RestoreModePage{RetryURL: "/runs", Banner: banner}},
		{"restore", web.PageRestore, http.StatusUnauthorized, web.RestorePage{Error: "restore.wrong_password", CSRFToken: "x", Banner: banner}},
		{"settings", web.PageSettings, http.StatusOK, settingsShot(banner)},
	}
}

// settingsShot is the settings page during LOCAL_RESTORE after a Test with an
// unreachable issuer: failed, skipped and passed checks, an edited field.
func settingsShot(banner string) web.SettingsPage {
	f := func(name, value, source string, opts ...string) web.SettingField {
		return web.SettingField{Name: name, Label: "settings.field." + name, Help: "settings.help." + name,
			Value: value, Source: source, Options: opts}
	}
	issuer := f("OIDC_ISSUER", "http://127.0.0.1:2/realms/main", "saved")
	issuer.Edited, issuer.EnvValue = true, "https://login.example.com/realms/main"
	secret := f("OIDC_CLIENT_SECRET", "set", "environment")
	secret.Secret = true
	return web.SettingsPage{
		User: "admin", CSRFToken: "x", Banner: banner, CanRevert: true,
		Error:       "settings.msg.failed",
		RedirectURI: "https://wandb.mycompany.com/oidc/callback", PostLogoutURI: "https://wandb.mycompany.com/",
		Risks: []web.Risk{{Setting: "TRUSTED_PROXIES", Value: "0.0.0.0/0",
			Text: "trusts every address: any client that reaches the gateway directly can set X-Forwarded-For, -Host, -Proto and -Uri " +
				"(the client IP in the logs, the return URL after sign-in); list your ingress's addresses or ranges instead, " +
				"or make sure only the ingress can reach LISTEN_ADDR"}},
		Checks: []web.Check{
			{ID: "config", Name: "Configuration valid", OK: true, Detail: "the settings are complete and well-formed"},
			{ID: "discovery", Name: "Discovery document reachable", DetailKey: "check.err.refused",
				DetailArgs: map[string]string{"addr": "127.0.0.1:2"}},
			{ID: "issuer", Name: "Issuer matches", Skipped: true, DetailKey: "check.skip.discovery"},
			{ID: "signing keys", Name: "Signing keys (JWKS) fetched", Skipped: true, DetailKey: "check.skip.discovery"},
		},
		Groups: []web.FieldGroup{
			{Key: "provider", Fields: []web.SettingField{f("type", "OIDC", "fixed", "OIDC"), issuer,
				f("OIDC_CLIENT_ID", "wandb", "environment"), secret, f("OIDC_AUTH_METHOD", "pkce", "environment", "implicit", "pkce"),
				f("OIDC_SCOPES", "openid profile email groups", "default")}},
			{Key: "claims", Fields: []web.SettingField{f("OIDC_GROUPS_CLAIM", "", "default"), f("OIDC_USERNAME_CLAIM", "", "default"),
				f("ROLE_MAP", "wandb-admins=admin", "environment")}},
			{Key: "access", Fields: []web.SettingField{f("ALLOWED_GROUPS", "wandb-users", "environment"),
				f("ALLOWED_EMAIL_DOMAINS", "", "default")}},
		},
	}
}
