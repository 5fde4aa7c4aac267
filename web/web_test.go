package web

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRenderSetsHeadersBeforeStatus(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		name       string
		status     int
		wantStatus int
	}{
		{"zero status means 200", 0, http.StatusOK},
		{"not found", http.StatusNotFound, http.StatusNotFound},
		{"unavailable", http.StatusServiceUnavailable, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := r.Render(rec, getPage(""), tt.status, PageError, ErrorPage{Status: tt.wantStatus}); err != nil {
				t.Fatalf("Render error: %v", err)
			}
			if rec.Code != tt.wantStatus {
				t.Errorf("status: got %d, want %d", rec.Code, tt.wantStatus)
			}
			// The recorder snapshots headers at WriteHeader, so these prove they were set before it.
			h := rec.Result().Header
			want := map[string]string{
				"Content-Type":           "text/html; charset=utf-8",
				"Cache-Control":          "no-store",
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s: got %q, want %q", k, got, v)
				}
			}
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'none'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", "style-src 'sha256-"} {
				if !strings.Contains(csp, d) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
			}
		})
	}
}

// TestInlineStyleMatchesPolicyHash guards against the stylesheet being blocked by the
// browser: the hash in the policy must be that of the exact <style> content.
func TestInlineStyleMatchesPolicyHash(t *testing.T) {
	r := newRenderer(t)
	rec := httptest.NewRecorder()
	if err := r.Render(rec, getPage(""), http.StatusOK, PageSignedOut, SignedOutPage{}); err != nil {
		t.Fatalf("Render error: %v", err)
	}
	css, ok := inlineStyle(rec.Body.String())
	if !ok || css == "" {
		t.Fatalf("page has no inline stylesheet")
	}
	sum := sha256.Sum256([]byte(css))
	want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, want) {
		t.Errorf("Content-Security-Policy: got %q, want it to contain %q", got, want)
	}
}

// TestLogoutConfirmPolicyAllowsTheIdPOnly: the logout confirmation's form is answered
// with a redirect to the IdP's end-session endpoint, which browsers check against
// form-action; its policy allows that origin and nothing else, and a value that is not
// a plain http(s) origin leaves the policy as it is.
func TestLogoutConfirmPolicyAllowsTheIdPOnly(t *testing.T) {
	r := newRenderer(t)
	tests := []struct{ signOutTo, want string }{
		{"https://idp.example.com:8443/oidc/logout?id_token_hint=a.b.c", "form-action 'self' https://idp.example.com:8443; "},
		{"", "form-action 'self'; "},
		{"javascript:alert(1)", "form-action 'self'; "},
		{"https://idp.example.com;script-src *", "form-action 'self'; "},
		{"https://idp.example.com%20'unsafe-inline'/", "form-action 'self'; "},
		{"/relative", "form-action 'self'; "},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		if err := r.Render(rec, getPage(""), http.StatusOK, PageLogoutConfirm, LogoutConfirmPage{SignOutTo: tt.signOutTo}); err != nil {
			t.Fatalf("Render error: %v", err)
		}
		if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, tt.want) || strings.Count(got, ";") != 4 {
			t.Errorf("SignOutTo %q: Content-Security-Policy %q, want it to contain %q and five directives", tt.signOutTo, got, tt.want)
		}
	}
	rec := httptest.NewRecorder()
	if err := r.Render(rec, getPage(""), http.StatusOK, PageSignedOut, SignedOutPage{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, "form-action 'self'; ") {
		t.Errorf("other pages: Content-Security-Policy %q, want form-action 'self' alone", got)
	}
}

func TestRenderEscapesUserInput(t *testing.T) {
	r := newRenderer(t)
	const script = `<script>alert(1)</script>`
	tests := []struct {
		name    string
		page    string
		data    any
		want    string
		notWant string
	}{
		{"message", PageError, ErrorPage{Message: script}, "&lt;script&gt;alert(1)&lt;/script&gt;", script},
		{"banner", PageError, ErrorPage{Banner: script}, "&lt;script&gt;", script},
		{"user name", PageForbidden, ForbiddenPage{User: script}, "&lt;script&gt;", script},
		{"retry URL scheme", PageError, ErrorPage{RetryURL: "javascript:alert(1)"}, `href="#ZgotmplZ"`, "javascript:"},
		{"attribute break-out", PageRestore, RestorePage{CSRFToken: `"><script>x</script>`}, `value="&#34;&gt;&lt;script&gt;`, "<script>x"},
		{"setting value", PageSettings, SettingsPage{Fields: []SettingField{{Name: "X", Value: `"onfocus="alert(1)`}}}, `value="&#34;onfocus=&#34;alert(1)"`, `"onfocus="`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := r.Render(rec, getPage(""), http.StatusBadRequest, tt.page, tt.data); err != nil {
				t.Fatalf("Render error: %v", err)
			}
			body := rec.Body.String()
			if !strings.Contains(body, tt.want) {
				t.Errorf("body lacks escaped form %q", tt.want)
			}
			if strings.Contains(body, tt.notWant) {
				t.Errorf("body contains raw %q", tt.notWant)
			}
		})
	}
}

func TestRenderFailureWritesNoPartialPage(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		name   string
		status int
		page   string
		data   any
	}{
		{"data of the wrong type", http.StatusOK, PageError, 42},
		{"struct of another page", http.StatusForbidden, PageError, ForbiddenPage{User: "zoë"}},
		{"field missing at the end of the page", http.StatusOK, PageError, struct {
			Title, Message, Detail, RetryURL, Banner string
			Status                                   int
		}{Message: "zoë", Status: 400}},
		{"unknown page", http.StatusOK, "no-such-page", ErrorPage{}},
		{"invalid status", 42, PageError, ErrorPage{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := r.Render(rec, getPage(""), tt.status, tt.page, tt.data)
			if err == nil {
				t.Fatalf("Render error: got nil, want an error")
			}
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status: got %d, want 500", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
				t.Errorf("Content-Type: got %q, want text/plain", got)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			if body := rec.Body.String(); strings.Contains(body, "<") || strings.Contains(body, "zoë") {
				t.Errorf("body: got %q, want plain text without page content", body)
			}
		})
	}
}

// TestZeroDataRenders makes sure every page accepts its zero value, so callers only
// fill in what they have.
func TestZeroDataRenders(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		page string
		data any
	}{
		{PageError, ErrorPage{}},
		{PageForbidden, &ForbiddenPage{}},
		{PageSignedOut, SignedOutPage{}},
		{PageRestore, RestorePage{}},
		{PageRestoreMode, RestoreModePage{}},
		{PageSettings, SettingsPage{}},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := r.Render(rec, getPage(""), http.StatusOK, tt.page, tt.data); err != nil {
				t.Fatalf("Render(%q, zero data) error: %v", tt.page, err)
			}
			if body := rec.Body.String(); !strings.HasSuffix(body, "</html>\n") {
				t.Errorf("body does not end with </html>: %q", body[max(0, len(body)-40):])
			}
		})
	}
}
