package claims_test

import (
	"encoding/json"
	"fmt"

	"github.com/ssogate/ssogate/claims"
)

func Example() {
	// The verified ID token's claims, as an Okta custom authorization server sends them.
	var raw map[string]any
	_ = json.Unmarshal([]byte(`{
		"iss": "https://acme.okta.com/oauth2/default",
		"sub": "00u1abcd",
		"preferred_username": "jisu@acme.com",
		"name": "김지수",
		"email": "jisu@acme.com",
		"email_verified": true,
		"groups": ["Everyone", "wandb-admins"]
	}`), &raw)

	n := claims.Normalizer{RoleMap: map[string]string{"wandb-admins": claims.RoleAdmin}}
	id, warnings, err := n.Identity("https://acme.okta.com/oauth2/default", raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.IdP, id.Username, id.Name, id.Groups, id.Role, len(warnings))

	rules := claims.Rules{AllowedGroups: []string{"ml-team"}, AllowedEmailDomains: []string{"acme.com"}}
	ok, reason := rules.Allow(id)
	fmt.Println(ok, reason)
	// Output:
	// okta jisu@acme.com 김지수 [Everyone wandb-admins] admin 0
	// false Your account is not in any of the groups allowed to use this application (ml-team). Ask your administrator to add you.
}

func ExampleDetect() {
	p := claims.Detect("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123")
	fmt.Println(p.Kind, p.GroupsClaims, p.UsernameClaims[0], p.LogoutStyle)
	// Output: cognito [cognito:groups] cognito:username template
}
