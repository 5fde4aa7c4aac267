package demo

import (
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ssogate/ssogate/assertion"
)

// upstreamPage shows what the application behind the gateway received.
var upstreamPage = template.Must(template.New("upstream").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Demo application</title>
<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1f2933}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
code{overflow-wrap:anywhere;font-size:.85rem}.ok{color:#0a7d32}.bad{color:#b42318}</style></head>
<body><h1>Demo application</h1>
<p>This page stands for the application behind ssogate. It shows the identity the gateway forwarded.</p>
<p id="user">Signed in as <strong>{{.User}}</strong>{{if .Email}} ({{.Email}}){{end}}, role <strong id="role">{{.Role}}</strong>.</p>
{{if .Verified}}<p id="assertion" class="ok">✓ The signed identity assertion verified against /oidc/jwks.json
(subject {{.Claims.Subject}}, groups {{range $i, $g := .Claims.Groups}}{{if $i}}, {{end}}{{$g}}{{end}}, expires {{.Claims.Expiry.Format "15:04:05"}}).</p>
{{else}}<p id="assertion" class="bad">✗ The identity assertion did not verify: {{.VerifyError}}</p>{{end}}
<table><tr><th>Header</th><th>Value</th></tr>
{{range .Headers}}<tr><td>{{.Name}}</td><td><code>{{.Value}}</code></td></tr>{{end}}
</table>
<p>Machine clients send an API key instead of signing in: <code>curl -u api:demo-api-key …/api/whoami</code>
reaches <a href="/api/whoami">/api/whoami</a>, which checks the key itself (API_KEY_PASSTHROUGH).</p>
<p><a href="/logout">Sign out</a> · <a href="/oidc/userinfo">/oidc/userinfo</a> · <a href="/oidc/jwks.json">/oidc/jwks.json</a></p>
</body></html>`))

type header struct{ Name, Value string }

type pageData struct {
	User, Email, Role string
	Headers           []header
	Verified          bool
	VerifyError       string
	Claims            *assertion.Claims
}

// newUpstream returns the demo application: its pages list the identity headers they
// received and verify X-Auth-Request-Assertion against the gateway's JWKS, as a real
// application should; /api/whoami checks an API key instead (apiKeyPage).
func newUpstream(gatewayURL string) http.Handler {
	verifier := assertion.NewVerifier(gatewayURL+"/oidc/jwks.json", &http.Client{Timeout: 5 * time.Second}, gatewayURL, gatewayURL)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/whoami", apiKeyPage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d := pageData{
			User:  r.Header.Get("X-Auth-Request-User"),
			Email: r.Header.Get("X-Auth-Request-Email"),
			Role:  r.Header.Get("X-Auth-Request-Role"),
		}
		claims, err := verifier.Verify(r.Context(), r.Header.Get("X-Auth-Request-Assertion"))
		if err != nil {
			d.VerifyError = err.Error()
		} else {
			d.Verified, d.Claims = true, claims
		}
		for name, values := range r.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-auth-request-") || strings.HasPrefix(name, "X-Forwarded-") {
				d.Headers = append(d.Headers, header{name, strings.Join(values, ", ")})
			}
		}
		sort.Slice(d.Headers, func(i, j int) bool { return d.Headers[i].Name < d.Headers[j].Name })
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = upstreamPage.Execute(w, d)
	})
	return mux
}
