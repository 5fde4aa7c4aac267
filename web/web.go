// Package web renders the gateway's own HTML pages: errors, access denied, signed out,
// the logout confirmation, the LOCAL_RESTORE sign-in and the admin settings page.
// Templates and the stylesheet are embedded in the binary and parsed once; pages work
// without JavaScript and are served with a strict Content-Security-Policy.
//
// Pages follow the browser's Accept-Language (LangFor: Korean for "ko", else English).
// Every sentence a page shows lives in one string table per language (strings_en.go,
// strings_ko.go) under a key; templates write {{t "key"}} (HTML, may hold <code>) or
// {{tx "key"}} (titles and attributes), with {name} placeholders filled from name/value
// arguments: {{t "forbidden.app_user" "user" .User}}. A page adding text adds its keys
// to both tables; the tests fail when a key is missing in either.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/session"
)

// files holds the page templates and the stylesheet. It is read-only.
//
//go:embed templates/*.html static/style.css
var files embed.FS

const layoutFile = "templates/layout.html"

// Renderer renders the embedded pages in every language of Languages. It is immutable
// after New and safe for concurrent use.
type Renderer struct {
	pages map[Lang]map[string]*template.Template
	csp   string
}

// New parses the embedded templates. An error means the binary was built with broken
// templates.
func New() (*Renderer, error) {
	css, err := files.ReadFile("static/style.css")
	if err != nil {
		return nil, fmt.Errorf("web: read stylesheet: %w", err)
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list templates: %w", err)
	}
	r := &Renderer{pages: make(map[Lang]map[string]*template.Template), csp: contentSecurityPolicy(css)}
	for _, lang := range Languages() {
		pages, err := parsePages(lang, names, css)
		if err != nil {
			return nil, err
		}
		r.pages[lang] = pages
	}
	return r, nil
}

// parsePages parses every page with the template functions of one language:
// t (table text as HTML), tx (table text as plain text), hasKey, lang and statusTitle.
func parsePages(lang Lang, names []string, css []byte) (map[string]*template.Template, error) {
	tr := newTranslator(lang)
	funcs := template.FuncMap{
		// The stylesheet is inlined and allowed by its hash in the CSP, so the pages need
		// no static route and no 'unsafe-inline'.
		"stylesheet": func() template.CSS { return template.CSS(css) },
		"t":          tr.html,
		"tx":         tr.plain,
		"lang":       func() string { return string(lang) },
		"hasKey":     func(key string) bool { _, ok := tr.lookup(key); return ok },
		"statusTitle": func(status int) string {
			if s, ok := tr.lookup("status." + strconv.Itoa(status)); ok {
				return s
			}
			if s := http.StatusText(status); s != "" {
				return s
			}
			return tr.plain("error.generic.title")
		},
	}
	pages := make(map[string]*template.Template)
	for _, name := range names {
		if name == layoutFile {
			continue
		}
		page := strings.TrimSuffix(path.Base(name), ".html")
		t, err := template.New(page).Funcs(funcs).ParseFS(files, layoutFile, name)
		if err != nil {
			return nil, fmt.Errorf("web: parse page %q: %w", page, err)
		}
		pages[page] = t
	}
	return pages, nil
}

// contentSecurityPolicy allows nothing but the inlined stylesheet and forms posting back
// to the gateway itself. Links (sign out, sign in again) are plain navigations, which CSP
// does not restrict, so a logout that redirects to the IdP is not blocked.
func contentSecurityPolicy(css []byte) string {
	sum := sha256.Sum256(css)
	return "default-src 'none'; " +
		"style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		formActionSelf + "; frame-ancestors 'none'; base-uri 'none'"
}

const formActionSelf = "form-action 'self'"

// formRedirects is page data whose form's answer may redirect the browser to another
// origin: browsers apply form-action to the redirects after a form is sent, so that
// origin must be allowed too.
type formRedirects interface {
	formRedirectOrigin() string
}

// policyFor is the Content-Security-Policy of a page rendered with data.
func (r *Renderer) policyFor(data any) string {
	fr, ok := data.(formRedirects)
	if !ok {
		return r.csp
	}
	origin, ok := cspOrigin(fr.formRedirectOrigin())
	if !ok {
		return r.csp
	}
	return strings.Replace(r.csp, formActionSelf, formActionSelf+" "+origin, 1)
}

// cspOrigin returns raw's origin (scheme://host[:port]) as a CSP source, when raw is
// an http(s) URL whose host holds nothing a policy could be broken with.
func cspOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		strings.ContainsFunc(u.Host, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c))
		}) {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

// Render writes page with data as a complete HTML response with the given status (200
// when 0), in the language req's Accept-Language prefers (LangFor). The page is
// rendered into a buffer first: when rendering fails the client gets
// a plain-text 500 instead of half a page, and the error is returned for the caller to
// log. Security headers are set before the status is written.
func (r *Renderer) Render(w http.ResponseWriter, req *http.Request, status int, page string, data any) error {
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		internalError(w)
		return fmt.Errorf("web: render %q: invalid status %d", page, status)
	}
	lang := LangFor(req)
	t, ok := r.pages[lang][page]
	if !ok {
		internalError(w)
		return fmt.Errorf("web: render %q: no such page", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		internalError(w)
		return fmt.Errorf("web: render %q: %w", page, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Security-Policy", r.policyFor(data))
	h.Set("Content-Language", string(lang))
	h.Add("Vary", "Accept-Language")
	setCommonHeaders(h)
	w.WriteHeader(status)
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("web: write %q: %w", page, err)
	}
	return nil
}

// internalError answers with a bare plain-text 500.
func internalError(w http.ResponseWriter) {
	setCommonHeaders(w.Header())
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	http.Error(w, "500 Internal Server Error", http.StatusInternalServerError)
}

// setCommonHeaders sets the headers every gateway page carries.
func setCommonHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// Page names accepted by Renderer.Render.
const (
	PageError         = "error"
	PageForbidden     = "forbidden"
	PageSignedOut     = "signed-out"
	PageLogoutConfirm = "logout-confirm" // asks before a sign-out another site asked for
	PageRestore       = "restore"
	PageRestoreMode   = "restore-mode"
	PageSettings      = "settings"
)

// ErrorPage is the data of the "error" page, used for 400, 401, 403, 404, 429, 502 and
// 503 responses. Nothing in it may carry internal error text: it is shown to the user.
type ErrorPage struct {
	// Key names the page's text in the string tables: Key+".title" is the heading and
	// Key+".message" what happened. When empty, Title and Message are shown instead
	// (each may itself be a message key).
	Key       string
	Title     string // heading; the status text when empty
	Message   string // what happened, in words a user understands
	Detail    string // optional second paragraph, e.g. the IdP's error description
	IdPCode   string // optional: the IdP's error code; with it, Detail goes in small print
	RequestID string // shown in small print for the administrator
	RetryURL  string // optional "Try again" link
	Status    int    // HTTP status shown above the heading; omitted when 0
	Banner    string // optional warning bar, e.g. for LOCAL_RESTORE
}

// ForbiddenPage is the data of the "forbidden" page: a signed-in user who is not
// allowed in. It says what is refused and who is signed in, links to /logout to sign
// in with another account and, when only the settings are refused, back to the
// application.
type ForbiddenPage struct {
	// Settings means only the gateway's settings (admin pages) are refused: the user
	// may use the application.
	Settings bool
	User     string // the signed-in user's name
	Email    string // and email, when known and not the name
	Reason   string // why access is denied, in English (or a message key)
	// ReasonKey names the reason in the string tables; its {name} placeholders are
	// filled from ReasonArgs. When the tables lack it, Reason is shown.
	ReasonKey  string
	ReasonArgs map[string]string
	RequestID  string
	Banner     string
}

// SignedOutPage is the data of the "signed-out" page, shown after logout when the IdP
// offers no logout of its own.
type SignedOutPage struct {
	LoginURL string // "Sign in again" link; /oidc/login when empty
	Banner   string
}

// LogoutConfirmPage is the data of the "logout-confirm" page: another site sent the
// signed-in browser to /logout, so the gateway asks before signing out. Its form posts
// csrf_token, and rd when ReturnURL is set, to /logout.
type LogoutConfirmPage struct {
	User      string // the signed-in user's name
	CSRFToken string
	// ReturnURL is the "Stay signed in" link, a return URL already checked to be safe;
	// "/" (the application) when empty.
	ReturnURL string
	// SignOutTo is the IdP's end-session URL (any URL of its origin) that signing out
	// redirects the browser to; the page's CSP lets the form's answer go there.
	SignOutTo string
	Banner    string
}

func (p LogoutConfirmPage) formRedirectOrigin() string { return p.SignOutTo }

// RestorePage is the data of the "restore" page, the LOCAL_RESTORE sign-in form. The
// form posts username "admin", password and csrf_token.
type RestorePage struct {
	Error     string // e.g. "Wrong password"
	CSRFToken string // echoed in the hidden csrf_token field
	Action    string // form target; /oidc/restore when empty
	Banner    string
}

// RestoreModePage is the data of the "restore-mode" page, shown while LOCAL_RESTORE is
// on to a browser that needs to sign in: sign-in is temporarily off for everyone, and
// the administrator gets the break-glass link.
type RestoreModePage struct {
	RestoreURL string // break-glass sign-in link; /oidc/restore when empty
	RetryURL   string // optional "Try again" link, the page the browser asked for
	Banner     string
}

// SettingsPage is the data of the "settings" admin page. Its form posts every field by
// name, csrf_token, and action=test, action=save or action=revert (with confirm=yes
// from the confirmation step).
type SettingsPage struct {
	Fields    []SettingField // used when Groups is empty
	Groups    []FieldGroup   // the fields under headings (Provider, Claims, Access)
	CSRFToken string
	Message   string // success notice
	Error     string // failure notice
	Banner    string
	Checks    []Check // results of the last test, if any
	User      string  // the signed-in admin
	// RedirectURI and PostLogoutURI are the addresses to register at the IdP, shown
	// ready to copy.
	RedirectURI   string
	PostLogoutURI string
	CanRevert     bool // there are saved settings to revert; the button is disabled otherwise
	ConfirmRevert bool // ask "revert to environment?" before doing it
	// Risks are the settings that work but leave the gateway exposed (the warnings
	// of the start-up log), in English as the log has them.
	Risks []Risk
}

// Risk is one setting that leaves the gateway exposed: its name, its value and why.
type Risk struct {
	Setting, Value, Text string
}

// FieldGroup is a titled group of settings: Key is "provider", "claims" or "access"
// (settings.group.<Key> in the string tables).
type FieldGroup struct {
	Key    string
	Fields []SettingField
}

// SessionsPage is the data of the "sessions" admin page: who is signed in (Redis
// store) and the form that signs a user out everywhere.
type SessionsPage struct {
	Listable  bool // false with the cookie store, which holds no list
	Sessions  []session.Listed
	Total     int64
	Page      int
	Next      bool // a later page exists
	CSRFToken string
	Banner    string
}

// NextPage is the number of the page after this one.
func (p SessionsPage) NextPage() int { return p.Page + 1 }

// SettingField is one editable setting on the settings page.
type SettingField struct {
	Name     string   // environment variable name, also the form input name
	Label    string   // human label; Name when empty
	Value    string   // effective value; for a Secret only whether it is empty matters
	Source   string   // "saved", "environment" or "default"
	EnvValue string   // what the environment says, shown for comparison
	Help     string   // one line of help
	Secret   bool     // write-only: never rendered, shown as set/not set; empty input keeps it
	Options  []string // renders a <select> when non-empty
	Edited   bool     // the form holds a value that differs from the live one
}

// Check is one result of testing proposed settings, e.g. "discovery" or "issuer match":
// passed (OK), skipped (Skipped: not run, or not conclusive) or failed (neither).
type Check struct {
	ID      string // the probe's check ID; check.<ID> in the string tables names it
	Name    string // the English name, when the tables have none
	OK      bool
	Skipped bool
	Detail  string // what was found, or why it failed and the fix (English)
	// DetailKey, when set, says the same in the string tables' words, filled from
	// DetailArgs; the page shows it instead of Detail.
	DetailKey  string
	DetailArgs map[string]string
}
