package interop

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// hydraApp is our login, consent and logout app for Hydra (Hydra has no user interface
// of its own): a plain HTTP server that answers Hydra's challenges through its admin
// API. Login shows a password form for hydraUser unless Hydra says the browser's login
// session is remembered (skip), and accepts with remember; consent grants the requested
// scopes and puts the user's profile and groups into the ID token (and so userinfo);
// logout accepts at once. It records every login request and logout request it saw.
type hydraApp struct {
	*httptest.Server
	admin string // Hydra's admin API

	mu       sync.Mutex
	logins   []hydraLoginRequest
	logouts  []hydraLogoutRequest
	sessions []string // the login session (sid) of each consent request
}

// hydraLoginRequest is the part of Hydra's login request the tests look at.
type hydraLoginRequest struct {
	Skip    bool   `json:"skip"`
	Subject string `json:"subject"`
	Client  struct {
		ID string `json:"client_id"`
	} `json:"client"`
}

// hydraLogoutRequest is the part of Hydra's logout request the tests look at.
type hydraLogoutRequest struct {
	Subject     string `json:"subject"`
	SID         string `json:"sid"`
	RPInitiated bool   `json:"rp_initiated"`
	Client      *struct {
		ID string `json:"client_id"`
	} `json:"client"`
}

var hydraLoginForm = template.Must(template.New("login").Parse(`<!doctype html>
<title>Sign in</title>
<form method="post" action="/login">
<input type="hidden" name="login_challenge" value="{{.}}">
<input name="username"> <input type="password" name="password">
<button>Sign in</button>
</form>`))

func startHydraApp(t *testing.T, admin string) *hydraApp {
	t.Helper()
	a := &hydraApp{admin: admin}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.loginPage)
	mux.HandleFunc("POST /login", a.loginSubmit)
	mux.HandleFunc("GET /consent", a.consent)
	mux.HandleFunc("GET /logout", a.logout)
	mux.HandleFunc("GET /logged-out", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("logged out\n")) })
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

// requests is the admin API's URL of Hydra's login, consent or logout request kind,
// with action ("" to read it, "accept").
func (a *hydraApp) requests(kind, action, challenge string) string {
	u := a.admin + "/admin/oauth2/auth/requests/" + kind
	if action != "" {
		u += "/" + action
	}
	return u + "?" + url.Values{kind + "_challenge": {challenge}}.Encode()
}

// read fetches Hydra's kind request for challenge into v and lets record, under the
// lock, keep what the tests look at; on failure it answers 502 and returns false.
func (a *hydraApp) read(w http.ResponseWriter, kind, challenge string, v any, record func()) bool {
	if err := hydraAdminCall(http.MethodGet, a.requests(kind, "", challenge), nil, http.StatusOK, v); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	record()
	return true
}

// accept accepts Hydra's request with body and sends the browser where Hydra says.
func (a *hydraApp) accept(w http.ResponseWriter, r *http.Request, kind, challenge string, body any) {
	var next struct {
		RedirectTo string `json:"redirect_to"`
	}
	if err := hydraAdminCall(http.MethodPut, a.requests(kind, "accept", challenge), body, http.StatusOK, &next); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, next.RedirectTo, http.StatusFound)
}

func (a *hydraApp) loginPage(w http.ResponseWriter, r *http.Request) {
	challenge := r.URL.Query().Get("login_challenge")
	var lr hydraLoginRequest
	if !a.read(w, "login", challenge, &lr, func() { a.logins = append(a.logins, lr) }) {
		return
	}
	if lr.Skip {
		a.accept(w, r, "login", challenge, map[string]any{"subject": lr.Subject})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = hydraLoginForm.Execute(w, challenge)
}

func (a *hydraApp) loginSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("username") != hydraUser || r.PostForm.Get("password") != hydraPassword {
		http.Error(w, "wrong user name or password", http.StatusUnauthorized)
		return
	}
	a.accept(w, r, "login", r.PostForm.Get("login_challenge"), map[string]any{"subject": hydraSubject, "remember": true, "remember_for": 3600})
}

func (a *hydraApp) consent(w http.ResponseWriter, r *http.Request) {
	challenge := r.URL.Query().Get("consent_challenge")
	var cr struct {
		Scopes    []string `json:"requested_scope"`
		Audiences []string `json:"requested_access_token_audience"`
		SID       string   `json:"login_session_id"`
	}
	if !a.read(w, "consent", challenge, &cr, func() { a.sessions = append(a.sessions, cr.SID) }) {
		return
	}
	idToken := map[string]any{"preferred_username": hydraUser, "email": hydraEmail, "email_verified": true,
		"name": hydraName, "groups": strings.Split(hydraGroups, ",")}
	a.accept(w, r, "consent", challenge, map[string]any{"grant_scope": cr.Scopes, "grant_access_token_audience": cr.Audiences,
		"session": map[string]any{"id_token": idToken}})
}

func (a *hydraApp) logout(w http.ResponseWriter, r *http.Request) {
	challenge := r.URL.Query().Get("logout_challenge")
	var lr hydraLogoutRequest
	if !a.read(w, "logout", challenge, &lr, func() { a.logouts = append(a.logouts, lr) }) {
		return
	}
	a.accept(w, r, "logout", challenge, nil)
}

// loginRequests returns the login requests the app has seen so far.
func (a *hydraApp) loginRequests() []hydraLoginRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]hydraLoginRequest(nil), a.logins...)
}

// logoutRequests returns the logout requests the app has seen so far.
func (a *hydraApp) logoutRequests() []hydraLogoutRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]hydraLogoutRequest(nil), a.logouts...)
}

// lastSession returns the login session (sid) of the last consent request.
func (a *hydraApp) lastSession() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.sessions) == 0 {
		return ""
	}
	return a.sessions[len(a.sessions)-1]
}
