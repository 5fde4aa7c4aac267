package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ssogate/ssogate/claims"
	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/oidcflow"
)

// probe collects the results of one Run.
type probe struct {
	cfg  config.Config
	opts Options
	out  []Result
}

func (p *probe) add(id string, s Status, detail string) {
	p.out = append(p.out, Result{ID: id, Name: Name(id), Status: s, Detail: oneLine(detail)})
}

// fail adds id as failed with detail and the error that caused it.
func (p *probe) fail(id string, err error, detail string) {
	p.add(id, Fail, detail)
	p.out[len(p.out)-1].Err = err
}

// check adds id as passed with okDetail when err is nil, else as failed with err.
func (p *probe) check(id string, err error, okDetail string) {
	if err != nil {
		p.fail(id, err, err.Error())
		return
	}
	p.add(id, Pass, okDetail)
}

func (p *probe) skip(why string, ids ...string) {
	for _, id := range ids {
		p.add(id, Skipped, "not run: "+why)
	}
}

func (p *probe) run(ctx context.Context) {
	cfg := p.cfg
	problems := cfg.ValidateSSO()
	p.check(IDConfig, problems, "the settings are complete and well-formed")
	bad := settingNames(problems)
	if hint := claims.Detect(cfg.Issuer).Hint; hint != "" && cfg.Issuer != "" {
		p.add(IDIssuerForm, Fail, hint)
	}
	if bad["OIDC_ISSUER"] {
		p.skip("fix OIDC_ISSUER first", IDDiscovery, IDIssuer, IDMethod, IDSigningKeys, IDClock)
		return
	}

	wellKnown := strings.TrimSuffix(cfg.Issuer, "/") + "/.well-known/openid-configuration"
	if problem := httpsProblem(cfg.Issuer, cfg.Issuer, "OIDC_ISSUER"); problem != "" {
		p.add(IDDiscovery, Fail, problem)
		p.skip("discovery failed", IDIssuer, IDMethod, IDSigningKeys, IDClock)
		return
	}
	d, err := oidcflow.Discover(ctx, p.opts.Client, cfg.Issuer)
	var mismatch *oidcflow.IssuerMismatchError
	switch {
	case errors.As(err, &mismatch): // the mismatch names the fix itself
		p.add(IDDiscovery, Pass, "read from "+wellKnown)
		p.add(IDIssuer, Fail, err.Error())
		p.skip("the issuer does not match", IDMethod, IDSigningKeys, IDClock)
		return
	case err != nil:
		p.fail(IDDiscovery, err, fmt.Sprintf("%v; OIDC_ISSUER=%q must be the IdP's issuer exactly, with no extra path, and reachable from this machine", err, cfg.Issuer))
		p.skip("discovery failed", IDIssuer, IDMethod, IDSigningKeys, IDClock)
		return
	}
	p.add(IDDiscovery, Pass, "read from "+wellKnown)
	p.add(IDIssuer, Pass, fmt.Sprintf("the identity provider says %q", d.Issuer))

	if bad["OIDC_AUTH_METHOD"] {
		p.skip("fix OIDC_AUTH_METHOD first", IDMethod)
	} else {
		p.check(IDMethod, d.CheckMethod(cfg.AuthMethod), methodDetail(cfg.AuthMethod))
	}

	keys := oidcflow.NewKeySet(d.JWKSURI, p.opts.Client, p.opts.Now, time.Second, nil)
	if problem := httpsProblem(cfg.Issuer, d.JWKSURI, "jwks_uri"); problem != "" {
		p.add(IDSigningKeys, Fail, problem)
	} else if err := keys.Prefetch(ctx); err != nil {
		p.fail(IDSigningKeys, err, fmt.Sprintf("fetching %s: %s; no ID token can be verified without these keys: let this machine reach the discovery document's jwks_uri (DNS, firewall, outbound proxy)", d.JWKSURI, withoutReply(err)))
	} else {
		p.add(IDSigningKeys, Pass, "fetched from "+d.JWKSURI)
	}
	// The discovery document just answered, so its Date header is the one to compare:
	// an unreachable JWKS is reported once, above, not again as a clock problem.
	p.clock(ctx, wellKnown)
	p.groups(ctx, d)
	if d.EndSessionEndpoint == "" && cfg.LogoutURL == "" {
		p.add(IDLogout, Pass, "the IdP has no end_session_endpoint: /logout ends the gateway session only; set OIDC_LOGOUT_URL to sign out at the IdP too (Cognito: https://DOMAIN/logout?client_id={client_id}&logout_uri={post_logout_redirect_uri})")
	}
}

// clock compares this machine's clock with the Date header of an IdP response.
func (p *probe) clock(ctx context.Context, url string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		p.add(IDClock, Fail, err.Error())
		return
	}
	resp, err := p.opts.Client.Do(req)
	if err != nil {
		p.fail(IDClock, err, err.Error())
		return
	}
	resp.Body.Close()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		p.add(IDClock, Skipped, "the IdP sent no Date header; the clock was not checked")
		return
	}
	if skew := p.opts.Now().Sub(date); skew > time.Minute || skew < -time.Minute {
		p.add(IDClock, Fail, fmt.Sprintf("this machine's clock is %s off the IdP's: ID tokens will look expired or not yet valid; enable NTP", skew.Round(time.Second)))
		return
	}
	p.add(IDClock, Pass, "this machine's clock agrees with the IdP's within 1 minute")
}

// methodDetail says what the IdP offers for method.
func methodDetail(method string) string {
	if method == config.MethodPKCE {
		return "OIDC_AUTH_METHOD=pkce: authorization code with PKCE S256"
	}
	return "OIDC_AUTH_METHOD=implicit: ID token by form_post"
}

// settingNames returns the settings that problems (an errors.Join of
// *config.SettingError) are about.
func settingNames(problems error) map[string]bool {
	out := map[string]bool{}
	var list []error
	if j, ok := problems.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else if problems != nil {
		list = []error{problems}
	}
	for _, e := range list {
		var se *config.SettingError
		if errors.As(e, &se) {
			out[se.Name] = true
		}
	}
	return out
}

// oneLine joins a multi-line error text (errors.Join) with semicolons.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }
