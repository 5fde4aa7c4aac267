package testidp

import (
	"bytes"
	"html/template"
	"net/http"
)

// field is one hidden form input.
type field struct{ Name, Value string }

// pages holds every HTML page; it is parsed once and never changed.
var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · ssogate test IdP</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;display:flex;justify-content:center}
main{background:#fff;margin-top:10vh;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 2px 12px #0002;min-width:18rem}
label{display:block;margin-top:1rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem}
button{margin-top:1.25rem;padding:.5rem 1rem}
.error{color:#b00020}.note{color:#555;font-size:.9rem}
</style></head><body><main>
{{end}}

{{define "login"}}{{template "head" .}}<h1>Sign in</h1>
<p class="note">to <strong>{{.ClientID}}</strong></p>
{{with .Note}}<p class="note">{{.}}</p>{{end}}
{{with .Error}}<p class="error" id="error" role="alert">{{.}}</p>{{end}}
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="{{.Username}}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login" type="submit" name="action" value="login">Sign in</button>
<button id="cancel" type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form></main></body></html>
{{end}}

{{define "message"}}{{template "head" .}}<h1>{{.Title}}</h1>
<p id="message">{{.Message}}</p>
</main></body></html>
{{end}}

{{define "form_post"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing in…</title></head>
<body><form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>JavaScript is off; press the button to continue.</p>
<button type="submit">Continue</button></noscript>
</form>
<script>document.forms[0].submit()</script>
</body></html>
{{end}}
`))

// render executes the named page into a buffer first, so a template failure is a clean 500.
func render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// loginPage shows the sign-in form for req, with an error message after a failed attempt.
func (p *Provider) loginPage(w http.ResponseWriter, req authRequest, username, errMsg string) {
	render(w, http.StatusOK, "login", map[string]any{
		"Title":    "Sign in",
		"ClientID": req.ClientID,
		"Note":     p.loginNote,
		"Error":    errMsg,
		"Action":   p.endpoint + "/authorize",
		"Hidden":   req.values(),
		"Username": username,
	})
}

// formPostPage is the OAuth 2.0 Form Post Response Mode: a form that submits itself.
func (p *Provider) formPostPage(w http.ResponseWriter, action string, fs []field) {
	render(w, http.StatusOK, "form_post", map[string]any{"Action": action, "Hidden": fs})
}

// errorPage shows a message without redirecting anywhere.
func (p *Provider) errorPage(w http.ResponseWriter, status int, msg string) {
	render(w, status, "message", map[string]any{"Title": "Sign-in error", "Message": msg})
}

// signedOutPage confirms an end-session request that named no return URI.
func (p *Provider) signedOutPage(w http.ResponseWriter) {
	render(w, http.StatusOK, "message", map[string]any{"Title": "Signed out", "Message": "You have been signed out."})
}
