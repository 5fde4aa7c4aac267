package claims

import "testing"

// TestUnverifiedEmailIsNotIdentity: a user who sets someone else's address at an IdP
// with writable emails ("nOAuth") must not become that person. The email is used only
// when the IdP vouches for it; otherwise it is empty and the user name is sub.
func TestUnverifiedEmailIsNotIdentity(t *testing.T) {
	const generic = "https://idp.example.com"
	tests := []struct {
		name       string
		issuer     string
		claims     string
		n          Normalizer
		wantEmail  string
		wantUser   string
		wantWarn   string
		wantVerify bool
	}{
		{name: "email_verified false", issuer: generic,
			claims:    `{"sub":"mallory","email":"alice@corp.com","email_verified":false}`,
			wantEmail: "", wantUser: "mallory", wantWarn: WarnEmailNotVerified},
		{name: "email_verified absent", issuer: generic,
			claims:    `{"sub":"mallory","email":"alice@corp.com"}`,
			wantEmail: "", wantUser: "mallory", wantWarn: WarnEmailUnverified},
		{name: "OIDC_USERNAME_CLAIM=email does not bring it back", issuer: generic, n: Normalizer{UsernameClaim: "email"},
			claims:    `{"sub":"mallory","email":"alice@corp.com","email_verified":false}`,
			wantEmail: "", wantUser: "mallory", wantWarn: WarnEmailNotVerified},
		{name: "preferred_username still wins", issuer: generic,
			claims:    `{"sub":"m1","preferred_username":"mallory","email":"alice@corp.com","email_verified":false}`,
			wantEmail: "", wantUser: "mallory", wantWarn: WarnEmailNotVerified},
		{name: "verified email is used", issuer: generic,
			claims:    `{"sub":"a1","email":"alice@corp.com","email_verified":true}`,
			wantEmail: "alice@corp.com", wantUser: "alice@corp.com", wantVerify: true},
		{name: "entra email without xms_edov", issuer: "https://login.microsoftonline.com/tid-1/v2.0",
			claims:    `{"sub":"m1","email":"alice@corp.com"}`,
			wantEmail: "", wantUser: "m1", wantWarn: WarnEmailUnverified},
		{name: "entra email with xms_edov false", issuer: "https://login.microsoftonline.com/tid-1/v2.0",
			claims:    `{"sub":"m1","email":"alice@corp.com","xms_edov":false}`,
			wantEmail: "", wantUser: "m1", wantWarn: WarnEmailNotVerified},
		{name: "entra email with xms_edov", issuer: "https://login.microsoftonline.com/tid-1/v2.0",
			claims:    `{"sub":"a1","email":"alice@corp.com","xms_edov":true}`,
			wantEmail: "alice@corp.com", wantUser: "alice@corp.com", wantVerify: true},
		{name: "google workspace account in its hd", issuer: "https://accounts.google.com",
			claims:    `{"sub":"1","email":"alice@corp.com","hd":"corp.com"}`,
			wantEmail: "alice@corp.com", wantUser: "alice@corp.com", wantVerify: true},
		{name: "google address outside its hd", issuer: "https://accounts.google.com",
			claims:    `{"sub":"1","email":"alice@other.com","hd":"corp.com"}`,
			wantEmail: "", wantUser: "1", wantWarn: WarnEmailUnverified},
		{name: "insecure setting trusts it, marked unverified", issuer: generic,
			n:         Normalizer{InsecureAllowUnverifiedEmail: true},
			claims:    `{"sub":"m1","email":"alice@corp.com"}`,
			wantEmail: "alice@corp.com", wantUser: "alice@corp.com", wantWarn: WarnEmailUnverified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, warnings, err := tt.n.Identity(tt.issuer, parse(t, tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			if id.Email != tt.wantEmail || id.Username != tt.wantUser || id.EmailVerified != tt.wantVerify {
				t.Errorf("email %q, username %q, verified %v; want %q, %q, %v",
					id.Email, id.Username, id.EmailVerified, tt.wantEmail, tt.wantUser, tt.wantVerify)
			}
			var codes []string
			for _, w := range warnings {
				codes = append(codes, w.Code)
			}
			if tt.wantWarn == "" && len(codes) != 0 || tt.wantWarn != "" && (len(codes) != 1 || codes[0] != tt.wantWarn) {
				t.Errorf("warnings %q, want [%q]", codes, tt.wantWarn)
			}
		})
	}
}
