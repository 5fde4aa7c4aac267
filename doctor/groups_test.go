package doctor

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/fakegraph"
	"github.com/ssogate/ssogate/internal/testidp"
)

func TestRunReportsTheGroupSource(t *testing.T) {
	p, client := idp(t, testidp.Options{Clients: []testidp.Client{
		{ID: "wandb", RedirectURIs: []string{"http://127.0.0.1:4180/oidc/callback"}},
		{ID: "entra-app", Secret: "s3cret", RedirectURIs: []string{"http://127.0.0.1:4180/oidc/callback"}},
	}}, nil)
	graph := &fakegraph.Graph{App: func(token string) bool { at, ok := p.LookupAccessToken(token); return ok && at.ClientID == "entra-app" }}
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	entra := map[string]string{"OIDC_PROVIDER": "entra", "MICROSOFT_GRAPH_URL": gsrv.URL, "OIDC_CLIENT_ID": "entra-app"}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		deny   bool
		want   Status
		detail string
	}{
		{name: "generic pkce: userinfo", env: map[string]string{"OIDC_AUTH_METHOD": "pkce"}, want: Pass, detail: "userinfo at " + p.Issuer() + "/userinfo"},
		{name: "generic implicit: ID token only", env: map[string]string{"OIDC_AUTH_METHOD": "implicit"}, want: Pass, detail: "implicit flow gives no access token"},
		{name: "entra pkce, public client: the user's token", env: map[string]string{"OIDC_AUTH_METHOD": "pkce", "OIDC_PROVIDER": "entra"},
			want: Pass, detail: "user's access token"},
		{name: "entra implicit without a secret", env: map[string]string{"OIDC_AUTH_METHOD": "implicit", "OIDC_PROVIDER": "entra"},
			want: Fail, detail: "Set OIDC_CLIENT_SECRET"},
		{name: "entra with a secret, Graph allows", env: with(entra, "OIDC_CLIENT_SECRET", "s3cret"), want: Pass, detail: "the application may read groups"},
		{name: "entra with a secret, Graph refuses", env: with(entra, "OIDC_CLIENT_SECRET", "s3cret"), deny: true, want: Fail,
			detail: "GroupMember.Read.All"},
		{name: "entra with a wrong secret", env: with(entra, "OIDC_CLIENT_SECRET", "wrong"), want: Fail, detail: "OIDC_CLIENT_SECRET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			graph.SetDeny(tc.deny)
			env := with(tc.env, "OIDC_ISSUER", p.Issuer())
			if env["OIDC_CLIENT_ID"] == "" {
				env["OIDC_CLIENT_ID"] = "wandb"
			}
			r := find(t, run(t, load(t, env), client), IDGroups)
			if r.Status != tc.want || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("groups = %s: %s; want %s naming %q", r.Status, r.Detail, tc.want, tc.detail)
			}
			if strings.Contains(r.Detail, "Insufficient privileges") {
				t.Errorf("the detail shows Graph's reply text: %s", r.Detail)
			}
		})
	}
}

// with returns a copy of env with k set to v.
func with(env map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range env {
		if key != k {
			out[key] = val
		}
	}
	return out
}
