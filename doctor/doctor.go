// Package doctor checks a configuration against the real identity provider and
// explains each problem with its fix: `ssogate doctor`.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/oidcflow"
)

// Result is one check and what it found.
type Result struct {
	Name   string
	OK     bool
	Detail string
}

// Run checks cfg against its IdP with client and returns every result in order.
func Run(ctx context.Context, cfg config.Config, client *http.Client, now func() time.Time) []Result {
	var out []Result
	add := func(name string, err error, ok string) {
		if err != nil {
			out = append(out, Result{Name: name, Detail: err.Error()})
			return
		}
		out = append(out, Result{Name: name, OK: true, Detail: ok})
	}
	if hint := issuerHint(cfg.Issuer); hint != "" {
		out = append(out, Result{Name: "issuer form", Detail: hint})
	}
	wellKnown := strings.TrimSuffix(cfg.Issuer, "/") + "/.well-known/openid-configuration"
	disc, err := oidcflow.Discover(ctx, client, cfg.Issuer)
	var mismatch *oidcflow.IssuerMismatchError
	if err != nil && !errors.As(err, &mismatch) { // a mismatch names the fix itself
		err = fmt.Errorf("%w; OIDC_ISSUER=%q must be the IdP's issuer exactly, with no extra path, and reachable from this machine", err, cfg.Issuer)
	}
	add("discovery", err, "found "+wellKnown+", issuer matches")
	if err != nil {
		return out
	}
	add("auth method", disc.CheckMethod(cfg.AuthMethod), fmt.Sprintf("the IdP offers what OIDC_AUTH_METHOD=%s needs", cfg.AuthMethod))
	keys := oidcflow.NewKeySet(disc.JWKSURI, client, now, time.Second, nil)
	if err := keys.Prefetch(ctx); err != nil {
		add("signing keys", fmt.Errorf("%w; no ID token can be verified without these keys: let this machine reach the discovery document's jwks_uri (DNS, firewall, outbound proxy)", err), "")
	} else {
		add("signing keys", nil, "JWKS "+disc.JWKSURI+" loaded")
	}
	// The discovery document just answered, so its Date header is the one to compare:
	// an unreachable JWKS is reported once, above, not again as a clock problem.
	add("clock", clockSkew(ctx, client, wellKnown, now), "this machine's clock agrees with the IdP's within 1 minute")
	if disc.EndSessionEndpoint == "" && cfg.LogoutURL == "" {
		out = append(out, Result{Name: "logout", OK: true, Detail: "the IdP has no end_session_endpoint: /logout ends the gateway session only; set OIDC_LOGOUT_URL to sign out at the IdP too (Cognito: https://DOMAIN/logout?client_id={client_id}&logout_uri={post_logout_redirect_uri})"})
	}
	return out
}

// issuerHint recognises issuer values that are a common mistake.
func issuerHint(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case strings.HasSuffix(host, ".amazoncognito.com"):
		return "OIDC_ISSUER is a Cognito *domain*; the issuer is https://cognito-idp.REGION.amazonaws.com/POOL_ID (User pool → Overview → Token signing key URL, without /.well-known/jwks.json)"
	case host == "sts.windows.net":
		return "OIDC_ISSUER is an Entra ID v1 issuer; use the v2.0 one: https://login.microsoftonline.com/TENANT_ID/v2.0"
	case host == "login.microsoftonline.com" && !strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/v2.0"):
		return "an Entra ID issuer must end in /v2.0: https://login.microsoftonline.com/TENANT_ID/v2.0"
	}
	return ""
}

// clockSkew compares this machine's clock with the Date header of an IdP response.
func clockSkew(ctx context.Context, client *http.Client, url string, now func() time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return errors.New("the IdP sent no Date header; the clock was not checked")
	}
	if skew := now().Sub(date); skew > time.Minute || skew < -time.Minute {
		return fmt.Errorf("this machine's clock is %s off the IdP's: ID tokens will look expired or not yet valid; enable NTP", skew.Round(time.Second))
	}
	return nil
}
