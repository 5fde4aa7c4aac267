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
			golden: "signin-cancelled", page: PageError, status: http.StatusBadRequest,
			data: ErrorPage{Key: "signin.cancelled", IdPCode: "access_denied", Detail: "End-User aborted interaction",
				RetryURL: "/oidc/login?rd=%2Fruns", RequestID: "req-c", Status: 400},
			want: []string{
				"<h1>Sign-in was cancelled</h1>", `href="/oidc/login?rd=%2Fruns">Start again</a>`,
				`<p class="fine">Identity provider's answer: <code>access_denied</code> End-User aborted interaction</p>`,
				`<p class="rid">Error 400 · Request ID: <code>req-c</code>`,
			},
			notWant: []string{`class="detail"`, `class="status"`},
		},
		{
			golden: "signin-state-ko", acceptLanguage: "ko-KR", page: PageError, status: http.StatusBadRequest,
			data: ErrorPage{Key: "signin.state_mismatch", RetryURL: "/oidc/login", RequestID: "req-s", Status: 400},
			want: []string{
				"<h1>이 로그인을 완료할 수 없습니다</h1>", `<ul class="causes"><li>로그인한 뒤 뒤로 가기 버튼을 눌렀을 때</li>`,
				"<li>로그인을 시작한 지 10분이 넘었을 때</li></ul>", `href="/oidc/login">다시 로그인</a>`,
			},
			notWant: []string{"Start again", `class="fine"`},
		},
		{
			golden: "forbidden", page: PageForbidden, status: http.StatusForbidden,
			data: ForbiddenPage{User: "김지수", Email: "jisoo@example.com", Reason: "Not in wandb-users (English).",
				ReasonKey: "forbidden.reason.group_not_allowed", ReasonArgs: map[string]string{"groups": "wandb-users"}, RequestID: "req-403"},
			want: []string{
				"<h1>You can&#39;t use this application</h1>", "Signed in as <strong>김지수</strong> (jisoo@example.com).",
				"not in any of the groups allowed to use this application (wandb-users).",
				`<a class="button" href="/logout">Sign in with another account</a>`,
				"ask your administrator and mention request ID <code>req-403</code>.",
			},
			notWant: []string{"(English)", "Back to the application", "Sign out"},
		},
		{
			golden: "forbidden-unknown-rule", page: PageForbidden, status: http.StatusForbidden,
			data: ForbiddenPage{User: "bob", Reason: "Your tenant is not allowed.", ReasonKey: "forbidden.reason.tenant_x"},
			want: []string{`<p class="detail">Your tenant is not allowed.</p>`, "Signed in as <strong>bob</strong>.",
				"If you think this is a mistake, ask your administrator.</p>"},
			notWant: []string{"forbidden.reason"},
		},
		{
			golden: "forbidden-settings", page: PageForbidden, status: http.StatusForbidden,
			data: ForbiddenPage{Settings: true, User: "bob", Email: "bob@example.com", Reason: "Only administrators…", RequestID: "req-s"},
			want: []string{
				"<h1>Only administrators can open the settings</h1>", "You can use the application",
				`<a class="button" href="/">Back to the application</a>`,
				`<a class="button secondary" href="/logout">Sign in with another account</a>`,
			},
			notWant: []string{"Only administrators…", "not allowed to use this application"},
		},
		{
			golden: "forbidden-ko", acceptLanguage: "ko", page: PageForbidden, status: http.StatusForbidden,
			data: ForbiddenPage{User: "김지수 <kim>", Email: "kim@example.com", ReasonKey: "forbidden.reason.email_domain_not_allowed",
				ReasonArgs: map[string]string{"email": "kim@example.com", "domains": "example.org"}, RequestID: "req-403"},
			want: []string{
				`<html lang="ko">`, "<h1>이 애플리케이션을 사용할 수 없습니다</h1>",
				"로그인한 계정: <strong>김지수 &lt;kim&gt;</strong> (kim@example.com)",
				"이메일 주소 kim@example.com의 도메인은", "(허용된 도메인: example.org)",
				`href="/logout">다른 계정으로 로그인</a>`, "요청 ID <code>req-403</code>",
			},
			notWant: []string{"<kim>"},
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
			golden: "logout-confirm", page: PageLogoutConfirm, status: http.StatusOK,
			data: LogoutConfirmPage{User: "alice <a>", CSRFToken: "tok-9", ReturnURL: "/runs?id=7&x=\"y"},
			want: []string{
				"<title>Sign out? · ssogate</title>", "<h1>Do you want to sign out?</h1>",
				"Another site asked to sign you out of this application.", "Signed in as <strong>alice &lt;a&gt;</strong>.",
				`<form method="post" action="/logout">`, `<input type="hidden" name="csrf_token" value="tok-9">`,
				`<input type="hidden" name="rd" value="/runs?id=7&amp;x=&#34;y">`,
				`<button id="signout" type="submit">Sign out</button>`,
				`<a class="button secondary" id="stay" href="/runs?id=7&amp;x=%22y">Stay signed in</a>`,
			},
			notWant: []string{"<a>", `class="banner"`},
		},
		{
			golden: "logout-confirm-ko", acceptLanguage: "ko", page: PageLogoutConfirm, status: http.StatusOK,
			data: LogoutConfirmPage{User: "김지수", CSRFToken: "tok-9"},
			want: []string{
				"<h1>로그아웃하시겠습니까?</h1>", "다른 사이트에서 이 애플리케이션의 로그아웃을 요청했습니다.",
				"로그인한 계정: <strong>김지수</strong>", `<button id="signout" type="submit">로그아웃</button>`,
				`<a class="button secondary" id="stay" href="/">로그인 상태 유지</a>`,
			},
			notWant: []string{`name="rd"`, "Stay signed in"},
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
			golden: "settings-grouped-ko", acceptLanguage: "ko", page: PageSettings, status: http.StatusOK,
			data: SettingsPage{
				User: "admin", CSRFToken: "c", RedirectURI: "https://wandb.example.com/oidc/callback", PostLogoutURI: "https://wandb.example.com/",
				Groups: []FieldGroup{
					{Key: "provider", Fields: []SettingField{{Name: "OIDC_ISSUER", Label: "settings.field.OIDC_ISSUER", Help: "settings.help.OIDC_ISSUER", Value: "http://127.0.0.1:2", Source: "saved", Edited: true}}},
					{Key: "access", Fields: []SettingField{{Name: "ALLOWED_GROUPS", Label: "settings.field.ALLOWED_GROUPS", Source: "default"}}},
				},
				Checks: []Check{{ID: "discovery", Name: "Discovery document reachable", Detail: "dial tcp 127.0.0.1:2: connect: connection refused",
					DetailKey: "check.err.refused", DetailArgs: map[string]string{"addr": "127.0.0.1:2"}},
					{ID: "issuer", Skipped: true, DetailKey: "check.skip.discovery"}},
			},
			want: []string{
				"<legend>ID 공급자</legend>", "<legend>접근 권한</legend>", `<label for="f-OIDC_ISSUER">발급자(Issuer) URL</label>`,
				`<span class="badge edited" id="ed-OIDC_ISSUER">수정됨</span>`,
				`aria-describedby="help-OIDC_ISSUER src-OIDC_ISSUER ed-OIDC_ISSUER"`,
				"<code>127.0.0.1:2</code>에 연결할 수 없습니다(연결 거부)", `<li class="check skipped"><span class="badge">– 건너뜀</span>`,
				`<code class="copy" id="redirect-uri">https://wandb.example.com/oidc/callback</code>`,
				`<code class="copy" id="post-logout-uri">https://wandb.example.com/</code>`,
				`disabled aria-describedby="revert-help"`,
			},
			notWant: []string{"dial tcp", "connect: connection refused"},
		},
		{
			golden: "settings-confirm-revert", page: PageSettings, status: http.StatusOK,
			data:    SettingsPage{CSRFToken: "c", CanRevert: true, ConfirmRevert: true},
			want:    []string{"Revert to the environment's settings?", `<input type="hidden" name="confirm" value="yes">`, `id="revert-confirm"`},
			notWant: []string{`disabled aria-describedby="revert-help"`},
		},
		{
			golden: "settings", page: PageSettings, status: http.StatusOK,
			data: settingsFixture(),
			want: []string{
				"Signed in as <strong>admin</strong>",
				`<input type="hidden" name="csrf_token" value="csrf-xyz">`,
				`<input id="f-OIDC_ISSUER" name="OIDC_ISSUER" type="text" value="https://idp.example.com/realms/main"`,
				`environment: <code>https://old.example.com</code>`,
				`<span class="badge source" id="src-OIDC_ISSUER">saved</span>`,
				`<select id="f-OIDC_AUTH_METHOD" name="OIDC_AUTH_METHOD" aria-describedby="help-OIDC_AUTH_METHOD src-OIDC_AUTH_METHOD">`,
				`<option value="pkce" selected>pkce</option>`, `<option value="implicit">implicit</option>`,
				`<input id="f-OIDC_CLIENT_SECRET" name="OIDC_CLIENT_SECRET" type="password" value=""`,
				"Currently set.", "Currently not set.",
				`<li class="check pass"><span class="badge">✓ pass</span> <span class="check-name">Discovery document reachable</span>`, `<li class="check fail"><span class="badge">✗ fail</span> <span class="check-name">Issuer matches</span>`,
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
		Checks: []Check{{ID: "discovery", Name: "discovery", OK: true}, {ID: "issuer", Name: "issuer match", Detail: "discovery says https://other.example.com"},
			{ID: "signing keys", Skipped: true, Detail: "not run", DetailKey: "check.skip.discovery"}},
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
