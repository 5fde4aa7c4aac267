package web

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// pageCase renders one page and checks the strings users and scripts rely on.
type pageCase struct {
	golden         string // testdata/<golden>.golden
	acceptLanguage string // the request's Accept-Language; English when empty
	page           string
	status         int
	data           any
	want           []string // must appear in the body
	notWant        []string // must not appear in the body
}

func pageCases() []pageCase {
	return []pageCase{
		{
			golden: "error-full", page: PageError, status: http.StatusBadGateway,
			data: ErrorPage{
				Title: "The application is not responding", Message: "The gateway could not reach the application.",
				Detail: "Try again in a minute.", RequestID: "req-7f3a", RetryURL: "/runs?page=2", Status: 502,
			},
			want: []string{
				"<title>The application is not responding · ssogate</title>", "Error 502",
				"The gateway could not reach the application.", `<p class="detail">Try again in a minute.</p>`,
				`href="/runs?page=2">Try again</a>`,
				"Request ID: <code>req-7f3a</code>, give this to your administrator.",
			},
			notWant: []string{`class="banner"`},
		},
		{
			golden: "error-minimal", page: PageError, status: http.StatusNotFound,
			data:    ErrorPage{Status: 404},
			want:    []string{"<h1>Not found</h1>", "Error 404"},
			notWant: []string{"Try again", "Request ID", `class="detail"`, `class="banner"`},
		},
		{
			golden: "error-banner", page: PageError, status: http.StatusTooManyRequests,
			data: ErrorPage{Status: 429, Message: "Too many attempts.", Banner: "LOCAL_RESTORE is on: single sign-on is disabled"},
			want: []string{`<div class="banner" role="alert">LOCAL_RESTORE is on: single sign-on is disabled</div>`, "Too many requests"},
		},
		{
			golden: "forbidden", page: PageForbidden, status: http.StatusForbidden,
			data: ForbiddenPage{User: "김지수", Reason: "Not a member of any allowed group (wandb-users).", RequestID: "req-403"},
			want: []string{
				"<h1>Access denied</h1>", "You are signed in as <strong>김지수</strong>",
				"Not a member of any allowed group (wandb-users).", `href="/logout">Sign out</a>`,
				"Request ID: <code>req-403</code>",
			},
		},
		{
			golden: "error-key-ko", acceptLanguage: "ko-KR,ko;q=0.9,en;q=0.8", page: PageError, status: http.StatusBadGateway,
			data: ErrorPage{Key: "error.upstream_unavailable", RequestID: "req-ko", RetryURL: "/", Status: 502,
				Banner: "banner.local_restore"},
			want: []string{
				`<html lang="ko">`, "<title>애플리케이션이 응답하지 않습니다 · ssogate</title>", "오류 502",
				"게이트웨이가 뒤에 있는 애플리케이션에 연결하지 못했습니다.", ">다시 시도</a>",
				"요청 ID: <code>req-ko</code>", "LOCAL_RESTORE가 켜져 있어 SSO가 비활성화되었습니다",
			},
			notWant: []string{"Try again", "Request ID", `lang="en"`},
		},
		{
			golden: "forbidden-ko", acceptLanguage: "ko", page: PageForbidden, status: http.StatusForbidden,
			data: ForbiddenPage{User: "김지수 <kim@example.com>", RequestID: "req-403"},
			want: []string{
				`<html lang="ko">`, "<h1>접근 권한 없음</h1>",
				"<strong>김지수 &lt;kim@example.com&gt;</strong> 계정으로 로그인되어 있지만",
				`href="/logout">로그아웃</a>`,
			},
			notWant: []string{"<kim@example.com>"},
		},
		{
			golden: "signed-out", page: PageSignedOut, status: http.StatusOK,
			data: SignedOutPage{},
			want: []string{"<h1>You are signed out</h1>", `href="/oidc/login">Sign in again</a>`},
		},
		{
			golden: "signed-out-custom", page: PageSignedOut, status: http.StatusOK,
			data: SignedOutPage{LoginURL: "/oidc/login?rd=%2Fprojects"},
			want: []string{`href="/oidc/login?rd=%2Fprojects">Sign in again</a>`},
		},
		{
			golden: "restore", page: PageRestore, status: http.StatusUnauthorized,
			data: RestorePage{Error: "Wrong password.", CSRFToken: "tok-123", Banner: "LOCAL_RESTORE"},
			want: []string{
				`<form method="post" action="/oidc/restore">`,
				`<input type="hidden" name="csrf_token" value="tok-123">`,
				`name="username" type="text" value="admin" readonly`,
				`<input id="password" name="password" type="password"`,
				`<button id="signin" type="submit">`, "Wrong password.", `class="banner"`,
			},
		},
		{
			golden: "restore-mode", page: PageRestoreMode, status: http.StatusOK,
			data: RestoreModePage{Banner: "banner.local_restore", RetryURL: "/runs/7"},
			want: []string{
				"<h1>Sign-in is temporarily off</h1>", "Please try again later.", `href="/runs/7">Try again</a>`,
				"For the administrator", `href="/oidc/restore">Break-glass sign-in</a>`,
				`<div class="banner" role="alert">LOCAL_RESTORE is on: SSO is disabled</div>`,
			},
		},
		{
			golden: "settings", page: PageSettings, status: http.StatusOK,
			data: settingsFixture(),
			want: []string{
				"Signed in as <strong>admin</strong>",
				`<input type="hidden" name="csrf_token" value="csrf-xyz">`,
				`<input id="f-OIDC_ISSUER" name="OIDC_ISSUER" type="text" value="https://idp.example.com/realms/main"`,
				`environment: <code>https://old.example.com</code>`,
				`<span class="source">saved</span>`,
				`<select id="f-OIDC_AUTH_METHOD" name="OIDC_AUTH_METHOD">`,
				`<option value="pkce" selected>pkce</option>`, `<option value="implicit">implicit</option>`,
				`<input id="f-OIDC_CLIENT_SECRET" name="OIDC_CLIENT_SECRET" type="password" value=""`,
				"Currently set.", "Currently not set.",
				`<span class="pass">✓ pass</span> discovery`, `<span class="fail">✗ fail</span> issuer match`,
				`<button id="test" type="submit" name="action" value="test"`,
				`<button id="save" type="submit" name="action" value="save"`,
				`<button id="revert" type="submit" name="action" value="revert"`,
				"Settings saved.", "Discovery failed.",
			},
			notWant: []string{"s3cr3t-value", "env-s3cr3t"},
		},
	}
}

func settingsFixture() SettingsPage {
	return SettingsPage{
		User: "admin", CSRFToken: "csrf-xyz", Message: "Settings saved.", Error: "Discovery failed.",
		Fields: []SettingField{
			{Name: "OIDC_ISSUER", Label: "Issuer URL", Value: "https://idp.example.com/realms/main", Source: "saved", EnvValue: "https://old.example.com", Help: "The IdP's issuer."},
			{Name: "OIDC_AUTH_METHOD", Label: "Authentication method", Value: "pkce", Source: "environment", EnvValue: "pkce", Options: []string{"implicit", "pkce"}},
			{Name: "OIDC_CLIENT_SECRET", Label: "Client secret", Value: "s3cr3t-value", Source: "environment", EnvValue: "env-s3cr3t", Secret: true},
			{Name: "COOKIE_SECRET", Label: "Cookie secret", Source: "default", Secret: true},
		},
		Checks: []Check{{Name: "discovery", OK: true}, {Name: "issuer match", Detail: "discovery says https://other.example.com"}},
	}
}

func TestPagesGolden(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range pageCases() {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			if err := r.Render(rec, getPage(tc.acceptLanguage), tc.status, tc.page, tc.data); err != nil {
				t.Fatalf("Render(%q) error: %v", tc.page, err)
			}
			if rec.Code != tc.status {
				t.Errorf("status: got %d, want %d", rec.Code, tc.status)
			}
			body := rec.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q, want it absent", s)
				}
			}
			compareGolden(t, filepath.Join("testdata", tc.golden+".golden"), body)
		})
	}
}

// compareGolden checks got against the golden file, or rewrites it with -update.
func compareGolden(t *testing.T, file, got string) {
	t.Helper()
	got = withoutStylesheet(t, got)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read golden (run go test ./web -update to create it): %v", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s line %d:\ngot  %q\nwant %q\n(run with -update if the change is intended)", file, i+1, g, w)
		}
	}
}

// withoutStylesheet replaces the inlined stylesheet with a marker, so that a style change
// does not rewrite every golden file.
func withoutStylesheet(t *testing.T, body string) string {
	t.Helper()
	css, ok := inlineStyle(body)
	if !ok {
		t.Fatalf("page has no <style> element")
	}
	return strings.Replace(body, css, "/* stylesheet */", 1)
}

// inlineStyle returns the content of the page's <style> element.
func inlineStyle(body string) (string, bool) {
	_, rest, ok := strings.Cut(body, "<style>")
	if !ok {
		return "", false
	}
	css, _, ok := strings.Cut(rest, "</style>")
	return css, ok
}

// getPage is a browser's GET with the given Accept-Language ("" sends none).
func getPage(acceptLanguage string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if acceptLanguage != "" {
		r.Header.Set("Accept-Language", acceptLanguage)
	}
	return r
}

func newRenderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatalf("New() error: %v", err)
	}
	return r
}
