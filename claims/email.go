package claims

import "strings"

// emailVerified reports whether the IdP vouches for email, the token's email claim,
// and when it does not, a warning saying why the email is not used. The standard
// email_verified claim decides when present. Without it, the IdP's profile decides:
//
//   - Entra sends no email_verified; its optional claim xms_edov says whether the
//     tenant that owns the address's domain verified it. Entra's email (the user's
//     mail attribute) is otherwise writable by tenant admins of any tenant.
//   - Google Workspace accounts carry hd, their organisation's verified domain; an
//     address in that very domain is the account's own.
//
// Every other IdP must send email_verified.
func emailVerified(p Profile, raw map[string]any, email string) (bool, *Warning) {
	verified, present := boolValue(raw["email_verified"])
	switch {
	case present:
	case p.Kind == KindEntra:
		verified, present = boolValue(raw["xms_edov"])
	case p.Kind == KindGoogle:
		hd := strings.ToLower(strings.TrimSpace(stringClaim(raw, "hd")))
		at := strings.LastIndexByte(email, '@')
		if hd != "" && at >= 0 && strings.ToLower(email[at+1:]) == hd {
			verified, present = true, true
		}
	}
	if email == "" || verified {
		return verified, nil
	}
	if present {
		return false, &Warning{Code: WarnEmailNotVerified, Message: "The IdP marked the email address " +
			"as not verified (email_verified false), so it is not used: the email header and claim are " +
			"empty and the user name falls back to sub."}
	}
	msg := "The IdP sent an email address without email_verified, so it counts as unverified and " +
		"is not used: the email header and claim are empty and the user name falls back to sub. " +
		"Make the IdP include email_verified, or, only if its users cannot choose their own " +
		"address, set INSECURE_ALLOW_UNVERIFIED_EMAIL=true."
	if p.Kind == KindEntra {
		msg = "Entra sent an email address without email_verified or xms_edov, so it counts as " +
			"unverified and is not used: the email header and claim are empty and the user name " +
			"falls back to sub. In the app registration's Token configuration, add the optional " +
			"claim xms_edov to the ID token."
	}
	return false, &Warning{Code: WarnEmailUnverified, Message: msg}
}
