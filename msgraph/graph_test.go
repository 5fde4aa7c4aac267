package msgraph_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/fakegraph"
	"github.com/ssogate/ssogate/msgraph"
)

func newGraph(t *testing.T, groups int) (*fakegraph.Graph, msgraph.Client) {
	t.Helper()
	g := &fakegraph.Graph{Groups: map[string][]fakegraph.Group{}, PageSize: 3,
		App: func(token string) bool { return token == "app-token" },
		Me:  func(token string) (string, bool) { return "oid-1", token == "user-token" }}
	for i := range groups {
		g.Groups["oid-1"] = append(g.Groups["oid-1"], fakegraph.Group{ID: "id-" + string(rune('a'+i)), DisplayName: "name-" + string(rune('a'+i))})
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, msgraph.Client{BaseURL: srv.URL, HTTP: srv.Client()}
}

func TestMyGroupsReadsEveryPageAndOnlyGroups(t *testing.T) {
	g, c := newGraph(t, 8)
	got, err := c.MyGroups(context.Background(), "user-token")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 8 || got[0] != (msgraph.Group{ID: "id-a", DisplayName: "name-a"}) || got[7].ID != "id-h" {
		t.Fatalf("got %v, want the 8 groups a..h without the directory role", got)
	}
	if g.Calls() != 3 {
		t.Fatalf("Graph calls = %d, want 3 pages of 3", g.Calls())
	}
}

func TestUserGroupsNeedsTheAppToken(t *testing.T) {
	g, c := newGraph(t, 2)
	got, err := c.UserGroups(context.Background(), "app-token", "oid-1")
	if err != nil || len(got) != 2 {
		t.Fatalf("UserGroups = %v, %v; want 2 groups", got, err)
	}
	if p := g.Paths()[0]; p != "/v1.0/users/oid-1/transitiveMemberOf" {
		t.Fatalf("path = %q", p)
	}
	_, err = c.UserGroups(context.Background(), "user-token", "oid-1")
	var ge *msgraph.Error
	if !errors.As(err, &ge) || ge.Status != 401 || !ge.Denied() {
		t.Fatalf("with a wrong token: err = %v, want a 401 *msgraph.Error", err)
	}
	if _, err := c.UserGroups(context.Background(), "app-token", ""); err == nil || !strings.Contains(err.Error(), "oid") {
		t.Fatalf("no user ID: err = %v, want one naming the oid claim", err)
	}
}

func TestRefusalNamesGraphsCode(t *testing.T) {
	g, c := newGraph(t, 2)
	g.SetDeny(true)
	_, err := c.MyGroups(context.Background(), "user-token")
	var ge *msgraph.Error
	if !errors.As(err, &ge) || ge.Code != "Authorization_RequestDenied" || !ge.Denied() {
		t.Fatalf("err = %v, want Authorization_RequestDenied", err)
	}
}

func TestSlowGraphIsBoundedByTheContext(t *testing.T) {
	g, c := newGraph(t, 2)
	g.SetDelay(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.MyGroups(ctx, "user-token")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

func TestNextLinkToAnotherHostIsNotFollowed(t *testing.T) {
	var stolen atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	defer evil.Close()
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"value": []any{}, "@odata.nextLink": evil.URL + "/v1.0/me/transitiveMemberOf"})
	}))
	defer graph.Close()
	c := msgraph.Client{BaseURL: graph.URL, HTTP: graph.Client()}
	if _, err := c.MyGroups(context.Background(), "user-token"); err == nil || !strings.Contains(err.Error(), "nextLink") {
		t.Fatalf("err = %v, want the nextLink refused", err)
	}
	if stolen.Load() != 0 {
		t.Fatal("the user's token was sent to another host")
	}
}

func TestAppTokenIsReusedUntilItExpires(t *testing.T) {
	var grants atomic.Int64
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "https://graph.example/.default" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if r.URL.Path != "/tenant-1/token" {
			http.Error(w, `{"error":"invalid_tenant"}`, http.StatusBadRequest)
			return
		}
		grants.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"app-token","token_type":"Bearer","expires_in":3600}`))
	}))
	defer idp.Close()
	now := time.Now()
	a := &msgraph.AppTokens{ClientID: "c", ClientSecret: "s", BaseURL: "https://graph.example", HTTP: idp.Client(),
		TokenURL: func(tenant string) string { return idp.URL + "/" + tenant + "/token" }, Now: func() time.Time { return now }}
	for range 3 {
		tok, err := a.Token(context.Background(), "tenant-1")
		if err != nil || tok != "app-token" {
			t.Fatalf("Token = %q, %v", tok, err)
		}
	}
	if grants.Load() != 1 {
		t.Fatalf("grants = %d, want 1 (reused)", grants.Load())
	}
	now = now.Add(59*time.Minute + 30*time.Second)
	if _, err := a.Token(context.Background(), "tenant-1"); err != nil || grants.Load() != 2 {
		t.Fatalf("near expiry: grants = %d, err %v; want a new token", grants.Load(), err)
	}
	if _, err := a.Token(context.Background(), "tenant-2"); err == nil || !strings.Contains(err.Error(), "invalid_tenant") {
		t.Fatalf("refused grant: err = %v, want the IdP's code", err)
	}
}

func TestDefaultBaseURLFollowsTheCloud(t *testing.T) {
	for issuer, want := range map[string]string{
		"https://login.microsoftonline.com/t/v2.0":        msgraph.GlobalURL,
		"https://login.microsoftonline.us/t/v2.0":         msgraph.USGovURL,
		"https://login.partner.microsoftonline.cn/t/v2.0": msgraph.ChinaURL,
		"https://login.chinacloudapi.cn/t/v2.0":           msgraph.ChinaURL,
		"https://idp.example.com/realms/x":                msgraph.GlobalURL,
		"http://127.0.0.1:9/organizations/v2.0":           msgraph.GlobalURL,
	} {
		if got := msgraph.DefaultBaseURL(issuer); got != want {
			t.Errorf("DefaultBaseURL(%q) = %q, want %q", issuer, got, want)
		}
	}
}

func TestTenantTokenURL(t *testing.T) {
	for _, tc := range []struct{ endpoint, tenant, want string }{
		{"https://login.microsoftonline.com/common/oauth2/v2.0/token", "t1", "https://login.microsoftonline.com/t1/oauth2/v2.0/token"},
		{"https://login.microsoftonline.com/organizations/oauth2/v2.0/token", "t1", "https://login.microsoftonline.com/t1/oauth2/v2.0/token"},
		{"https://login.microsoftonline.com/{tenantid}/oauth2/v2.0/token", "t1", "https://login.microsoftonline.com/t1/oauth2/v2.0/token"},
		{"https://login.microsoftonline.com/t9/oauth2/v2.0/token", "t1", "https://login.microsoftonline.com/t9/oauth2/v2.0/token"},
		{"https://login.microsoftonline.com/common/oauth2/v2.0/token", "", "https://login.microsoftonline.com/common/oauth2/v2.0/token"},
	} {
		if got := msgraph.TenantTokenURL(tc.endpoint, tc.tenant); got != tc.want {
			t.Errorf("TenantTokenURL(%q, %q) = %q, want %q", tc.endpoint, tc.tenant, got, tc.want)
		}
	}
}
