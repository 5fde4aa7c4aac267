package web

// englishStrings is the English string table, also the fallback for a key another
// language lacks. Keys are "<page>.<item>"; "page.*" is shared by several pages.
// Values may hold <strong>/<code> markup and {name} placeholders; a key shown in an
// attribute or the <title> (template function tx) must have no markup. Every key
// must also be in koreanStrings (TestStringTablesHaveSameKeys).
func englishStrings() map[string]string {
	return map[string]string{
		"banner.local_restore": "LOCAL_RESTORE is on: SSO is disabled",

		"page.error_status": "Error {status}",
		"page.request_id":   "Request ID: <code>{id}</code>, give this to your administrator.",
		"page.sign_in":      "Sign in",
		"page.sign_out":     "Sign out",
		"page.try_again":    "Try again",

		"status.400": "Bad request",
		"status.401": "Not signed in",
		"status.403": "Access denied",
		"status.404": "Not found",
		"status.405": "Method not allowed",
		"status.429": "Too many requests",
		"status.500": "Something went wrong",
		"status.502": "The application is not responding",
		"status.503": "Temporarily unavailable",

		"error.generic.title":                "Something went wrong",
		"error.internal.title":               "Something went wrong",
		"error.internal.message":             "The gateway hit an unexpected error.",
		"error.not_found.title":              "Not found",
		"error.not_found.message":            "There is no gateway page at this address.",
		"error.auth_only.title":              "Not found",
		"error.auth_only.message":            "This gateway runs in forward-auth mode (no <code>UPSTREAM_URL</code>): only the gateway's own paths (<code>/oidc/login</code>, <code>/oidc/callback</code>, <code>/oidc/auth</code>, <code>/logout</code>, …) are served here. Point your ingress's auth check at <code>/oidc/auth</code>.",
		"error.idp_unavailable.title":        "Sign-in is unavailable",
		"error.idp_unavailable.message":      "The identity provider cannot be reached right now. The gateway keeps trying; please try again in a moment.",
		"error.store_unavailable.title":      "Temporarily unavailable",
		"error.store_unavailable.message":    "The session store cannot be reached right now. Please try again in a moment.",
		"error.upstream_unavailable.title":   "The application is not responding",
		"error.upstream_unavailable.message": "The gateway could not reach the application behind it. Please try again in a moment.",

		"error.form_expired.title":         "Form expired",
		"error.form_expired.message":       "This form expired or was sent from another site. Reload the page and try again.",
		"error.too_many_attempts.title":    "Too many attempts",
		"error.too_many_attempts.message":  "Too many wrong passwords from your address. Wait a few minutes and try again.",
		"error.session_not_saved.title":    "Something went wrong",
		"error.session_not_saved.message":  "The session could not be saved. Try again; the gateway's log says why.",
		"error.method_not_allowed.title":   "Method not allowed",
		"error.method_not_allowed.message": "This page accepts only GET and POST.",
		"error.unknown_action.title":       "Unknown action",
		"error.unknown_action.message":     "The form asked for an action this page does not have.",
		"error.settings_forbidden.title":   "Access denied",
		"error.settings_forbidden.message": "Only administrators can change the sign-in settings.",

		"forbidden.title":    "Access denied",
		"forbidden.app":      "This account is not allowed to use this application.",
		"forbidden.app_user": "You are signed in as <strong>{user}</strong>, but this account is not allowed to use this application.",
		"forbidden.ask":      "If you think you should have access, ask your administrator, or sign in with another account.",

		"signed_out.title":         "Signed out",
		"signed_out.heading":       "You are signed out",
		"signed_out.message":       "Your session has ended. You can close this window.",
		"signed_out.sign_in_again": "Sign in again",

		"restore.status":   "Local restore",
		"restore.title":    "Break-glass sign-in",
		"restore.intro":    "Single sign-on is turned off. Sign in with the temporary password printed in the gateway's log.",
		"restore.username": "User name",
		"restore.password": "Temporary password",

		"restore_mode.title":         "Sign-in is temporarily off",
		"restore_mode.message":       "An administrator is repairing single sign-on for this site. Please try again later.",
		"restore_mode.admin":         "Sign in with the temporary password printed in the gateway's log, fix the settings, then restart the gateway without <code>LOCAL_RESTORE</code> to turn single sign-on back on.",
		"restore_mode.admin_heading": "For the administrator",

		"settings.title":                  "Settings",
		"settings.heading":                "Single sign-on settings",
		"settings.signed_in_as":           "Signed in as <strong>{user}</strong>.",
		"settings.test_results":           "Test results",
		"settings.check_pass":             "pass",
		"settings.check_fail":             "fail",
		"settings.check_skipped":          "skipped",
		"settings.source.saved":           "saved",
		"settings.source.environment":     "environment",
		"settings.source.flag":            "flag",
		"settings.source.file":            "file",
		"settings.source.default":         "default",
		"settings.source.fixed":           "fixed",
		"settings.secret_set_placeholder": "set, leave empty to keep",
		"settings.secret_not_set":         "not set",
		"settings.secret_set_help":        "Currently set. Leave empty to keep it.",
		"settings.secret_not_set_help":    "Currently not set. Leave empty to keep it.",
		"settings.env_set":                "; environment: set",
		"settings.env_value":              "; environment: <code>{value}</code>",
		"settings.test":                   "Test settings",
		"settings.save":                   "Save and apply",
		"settings.revert":                 "Revert to environment",
	}
}
