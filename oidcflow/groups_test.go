package oidcflow

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/fakegraph"
	"github.com/ssogate/ssogate/internal/testidp"
)

// aliceGroups are alice's groups as Microsoft Graph lists them (IDs and names).
var aliceGroups = []fakegraph.Group{
	{ID: "0a1b-admins", DisplayName: "wandb-admins"},
	{ID: "0a1b-ml", DisplayName: "ml-team"},
	{ID: "0a1b-other", DisplayName: "all-staff"},
}

// entraEnv is a test IdP whose ID tokens look like Entra's (oid, tid, group IDs,
// or an overage marker instead of groups) and a fake Microsoft Graph beside it that
// knows alice's groups and accepts the IdP's own access tokens.
type entraEnv struct {
	*idpEnv
	graph *fakegraph.Graph
	gsrv  *httptest.Server
}

// startEntra serves the pair; overage is "" (group IDs in the token), "hasgroups"
// (the implicit flow's marker) or "claim_names" (the JWT's over-200 marker).
func startEntra(t *testing.T, overage string) *entraEnv {
	t.Helper()
	e := &entraEnv{}
	e.idpEnv = startIdP(t, func(o *testidp.Options) {
		o.TokenHook = func(c map[string]any) {
			c["oid"], c["tid"] = "oid-alice", "5e2c8b1a-0000-4000-8000-00000000000a"
			switch overage {
			case "hasgroups":
				delete(c, "groups")
				c["hasgroups"] = true
			case "claim_names":
				delete(c, "groups")
				c["_claim_names"] = map[string]any{"groups": "src1"}
				c["_claim_sources"] = map[string]any{"src1": map[string]any{"endpoint": "https://graph.windows.net/x/users/y/getMemberObjects"}}
			default:
				c["groups"] = []any{"0a1b-admins", "0a1b-ml"}
			}
		}
	})
	idp := e.idp
	e.graph = &fakegraph.Graph{Groups: map[string][]fakegraph.Group{"oid-alice": aliceGroups},
		Me: func(token string) (string, bool) {
			at, ok := idp.LookupAccessToken(token)
			return "oid-" + at.Username, ok && at.Username != ""
		},
		App: func(token string) bool {
			at, ok := idp.LookupAccessToken(token)
			return ok && at.Username == "" && at.Scope == "http://"+e.gsrv.Listener.Addr().String()+"/.default"
		},
	}
	e.gsrv = httptest.NewServer(e.graph)
	t.Cleanup(e.gsrv.Close)
	return e
}

// flow is a Flow for method whose claim rules are Entra's, reading Graph at the fake.
func (e *entraEnv) flow(t *testing.T, method string, mod func(*Options)) *Flow {
	o := e.options(method)
	o.Normalizer.Provider = "entra"
	o.GraphURL = e.gsrv.URL
	if mod != nil {
		mod(&o)
	}
	return newFlow(t, o)
}

// signIn runs alice's sign-in through f.
func signIn(t *testing.T, f *Flow) *Result {
	t.Helper()
	ls, authURL := f.Start("/", redirectURI)
	res, err := f.Complete(context.Background(), ls, callbackFrom(t, browserLogin(t, authURL, "alice", "alice", "login")))
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	return res
}

func TestEntraOverageReadsGroupsFromGraph(t *testing.T) {
	for _, tc := range []struct {
		name, method, overage string
		public, names         bool
		wantGroups            []string
		wantPath              string
	}{
		{name: "implicit hasgroups, application token", method: MethodImplicit, overage: "hasgroups",
			wantGroups: []string{"0a1b-admins", "0a1b-ml", "0a1b-other"}, wantPath: "/v1.0/users/oid-alice/transitiveMemberOf"},
		{name: "implicit hasgroups, names", method: MethodImplicit, overage: "hasgroups", names: true,
			wantGroups: []string{"wandb-admins", "ml-team", "all-staff"}, wantPath: "/v1.0/users/oid-alice/transitiveMemberOf"},
		{name: "pkce claim_names, the user's token", method: MethodPKCE, overage: "claim_names",
			wantGroups: []string{"0a1b-admins", "0a1b-ml", "0a1b-other"}, wantPath: "/v1.0/me/transitiveMemberOf"},
		{name: "pkce public client claim_names", method: MethodPKCE, overage: "claim_names", public: true,
			wantGroups: []string{"0a1b-admins", "0a1b-ml", "0a1b-other"}, wantPath: "/v1.0/me/transitiveMemberOf"},
		{name: "no overage, names of the token's groups only", method: MethodImplicit, names: true,
			wantGroups: []string{"wandb-admins", "ml-team"}, wantPath: "/v1.0/users/oid-alice/transitiveMemberOf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEntra(t, tc.overage)
			f := e.flow(t, tc.method, func(o *Options) {
				o.GroupNames = tc.names
				o.Normalizer.RoleMap = map[string]string{"wandb-admins": "admin", "0a1b-admins": "admin"}
				if tc.public {
					o.ClientID, o.ClientSecret = publicClient, ""
				}
			})
			res := signIn(t, f)
			if !slices.Equal(res.Identity.Groups, tc.wantGroups) {
				t.Fatalf("Groups = %q, want %q", res.Identity.Groups, tc.wantGroups)
			}
			if res.Identity.Role != "admin" {
				t.Errorf("Role = %q, want admin from ROLE_MAP", res.Identity.Role)
			}
			if res.Groups == nil || res.Groups.Source != SourceGraph || res.Groups.Outcome != LookupOK || res.Groups.Partial {
				t.Fatalf("Groups lookup = %+v, want graph ok", res.Groups)
			}
			if paths := e.graph.Paths(); len(paths) == 0 || paths[0] != tc.wantPath {
				t.Errorf("Graph paths = %q, want first %q", paths, tc.wantPath)
			}
			if n := e.graph.Calls(); n != 2 {
				t.Errorf("Graph calls = %d, want 2 (two pages, one sign-in)", n)
			}
		})
	}
}

func TestEntraWithoutOverageOrNamesDoesNotCallGraph(t *testing.T) {
	e := startEntra(t, "")
	res := signIn(t, e.flow(t, MethodImplicit, nil))
	if res.Groups != nil || e.graph.Calls() != 0 {
		t.Fatalf("lookup = %+v, Graph calls %d; want none", res.Groups, e.graph.Calls())
	}
	if want := []string{"0a1b-admins", "0a1b-ml"}; !slices.Equal(res.Identity.Groups, want) {
		t.Fatalf("Groups = %q, want the token's %q", res.Identity.Groups, want)
	}
}

func TestEntraGroupLookupFailuresNameTheFix(t *testing.T) {
	for _, tc := range []struct {
		name, method string
		public       bool
		setup        func(*entraEnv)
		timeout      time.Duration
		wantOutcome  string
		wantFix      string
	}{
		{name: "Graph refuses the application", method: MethodImplicit, setup: func(e *entraEnv) { e.graph.SetDeny(true) },
			wantOutcome: LookupDenied, wantFix: "application permission GroupMember.Read.All"},
		{name: "implicit without a client secret", method: MethodImplicit, public: true,
			wantOutcome: LookupDenied, wantFix: "set OIDC_CLIENT_SECRET"},
		{name: "Graph too slow", method: MethodPKCE, setup: func(e *entraEnv) { e.graph.SetDelay(time.Minute) },
			timeout: 300 * time.Millisecond, wantOutcome: LookupUnavailable, wantFix: "MICROSOFT_GRAPH_URL"},
		{name: "Graph down", method: MethodImplicit, setup: func(e *entraEnv) { e.gsrv.Close() },
			wantOutcome: LookupUnavailable, wantFix: "MICROSOFT_GRAPH_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEntra(t, "hasgroups")
			if tc.method == MethodPKCE {
				e = startEntra(t, "claim_names")
			}
			f := e.flow(t, tc.method, func(o *Options) {
				o.LookupTimeout = tc.timeout
				if tc.public {
					o.ClientID, o.ClientSecret = publicClient, ""
				}
			})
			if tc.setup != nil {
				tc.setup(e)
			}
			start := time.Now()
			res := signIn(t, f)
			if tc.timeout > 0 && time.Since(start) > 10*time.Second {
				t.Errorf("the sign-in took %v with a %v look-up bound", time.Since(start), tc.timeout)
			}
			l := res.Groups
			if l == nil || l.Err == nil || l.Outcome != tc.wantOutcome || !l.Partial || !strings.Contains(l.Fix, tc.wantFix) {
				t.Fatalf("lookup = %+v, want %s naming %q", l, tc.wantOutcome, tc.wantFix)
			}
			if len(res.Identity.Groups) != 0 {
				t.Errorf("Groups = %q, want none (the marker is not a group)", res.Identity.Groups)
			}
		})
	}
}

func TestUserinfoFillsAThinIDToken(t *testing.T) {
	for _, tc := range []struct {
		name        string
		otherSub    bool
		disable     bool
		wantOutcome string
		wantGroups  []string
	}{
		{name: "groups from userinfo", wantOutcome: LookupOK, wantGroups: []string{"wandb-admins", "ml-team"}},
		{name: "userinfo for another subject is ignored", otherSub: true, wantOutcome: LookupMismatch},
		{name: "userinfo refuses", disable: true, wantOutcome: LookupDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env *idpEnv
			env = startIdP(t, func(o *testidp.Options) {
				o.TokenHook = func(c map[string]any) {
					delete(c, "groups")
					if tc.disable {
						_ = env.idp.DisableUser("alice") // once the tokens are made: userinfo then refuses
					}
				}
				if tc.otherSub {
					for i := range o.Users {
						if o.Users[i].Username == "alice" {
							o.Users[i].Extra = map[string]any{"sub": "someone-else"}
						}
					}
					hook := o.TokenHook
					o.TokenHook = func(c map[string]any) { hook(c); c["sub"] = "3f6c1e2a-alice" }
				}
			})
			f := newFlow(t, env.options(MethodPKCE))
			res := signIn(t, f)
			l := res.Groups
			if l == nil || l.Source != SourceUserinfo || l.Outcome != tc.wantOutcome {
				t.Fatalf("lookup = %+v, want userinfo %s", l, tc.wantOutcome)
			}
			if tc.wantOutcome != LookupOK && (l.Err == nil || !l.Partial) {
				t.Errorf("a failed look-up must carry its error and mark the identity partial: %+v", l)
			}
			if !slices.Equal(res.Identity.Groups, tc.wantGroups) {
				t.Fatalf("Groups = %q, want %q", res.Identity.Groups, tc.wantGroups)
			}
		})
	}
}

func TestUserinfoIsNotReadWhenTheTokenHasTheClaims(t *testing.T) {
	env := startIdP(t, nil)
	if res := signIn(t, newFlow(t, env.options(MethodPKCE))); res.Groups != nil {
		t.Fatalf("lookup = %+v, want none for a complete ID token", res.Groups)
	}
	// The implicit flow has no access token to read userinfo with.
	env = startIdP(t, func(o *testidp.Options) { o.TokenHook = func(c map[string]any) { delete(c, "groups") } })
	if res := signIn(t, newFlow(t, env.options(MethodImplicit))); res.Groups != nil {
		t.Fatalf("implicit lookup = %+v, want none", res.Groups)
	}
}
