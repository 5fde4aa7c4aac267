package settings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/oidcflow"
	"github.com/ssogate/ssogate/web"
)

// Names of the checks a proposed configuration must pass, in the order they run.
const (
	CheckConfig    = "Configuration valid"
	CheckDiscovery = "Discovery document reachable"
	CheckIssuer    = "Issuer matches"
	CheckMethod    = "Authentication method supported"
	CheckJWKS      = "Signing keys (JWKS) fetched"
)

// checkTimeout bounds one test of a proposed IdP, all checks together.
const checkTimeout = 20 * time.Second

// runChecks tests cfg's SSO settings: that they are valid, that the issuer's
// discovery document can be read and names the same issuer, that it offers the
// chosen auth method, and that its signing keys can be fetched. A check whose
// prerequisite failed is reported as not run, which counts as failed.
func (h *Handler) runChecks(ctx context.Context, cfg config.Config) []web.Check {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	problems := cfg.ValidateSSO()
	checks := []web.Check{result(CheckConfig, problems, "the settings are complete and well-formed")}
	if names(problems)["OIDC_ISSUER"] {
		return append(checks, notRun("fix OIDC_ISSUER first", CheckDiscovery, CheckIssuer, CheckMethod, CheckJWKS)...)
	}

	d, err := oidcflow.Discover(ctx, h.opts.HTTPClient, cfg.Issuer)
	var mismatch *oidcflow.IssuerMismatchError
	switch {
	case errors.As(err, &mismatch):
		checks = append(checks, web.Check{Name: CheckDiscovery, OK: true, Detail: "read from " + wellKnown(cfg.Issuer)},
			web.Check{Name: CheckIssuer, Detail: err.Error()})
		return append(checks, notRun("the issuer does not match", CheckMethod, CheckJWKS)...)
	case err != nil:
		checks = append(checks, web.Check{Name: CheckDiscovery, Detail: err.Error()})
		return append(checks, notRun("discovery failed", CheckIssuer, CheckMethod, CheckJWKS)...)
	}
	checks = append(checks,
		web.Check{Name: CheckDiscovery, OK: true, Detail: "read from " + wellKnown(cfg.Issuer)},
		web.Check{Name: CheckIssuer, OK: true, Detail: fmt.Sprintf("the identity provider says %q", d.Issuer)})

	if names(problems)["OIDC_AUTH_METHOD"] {
		checks = append(checks, notRun("fix OIDC_AUTH_METHOD first", CheckMethod)...)
	} else {
		checks = append(checks, result(CheckMethod, d.CheckMethod(cfg.AuthMethod), methodDetail(cfg.AuthMethod)))
	}

	keys := oidcflow.NewKeySet(d.JWKSURI, h.opts.HTTPClient, h.opts.Now, 0, nil)
	checks = append(checks, result(CheckJWKS, keys.Prefetch(ctx), "fetched from "+d.JWKSURI))
	return checks
}

// passed reports whether every check passed.
func passed(checks []web.Check) bool {
	for _, c := range checks {
		if !c.OK {
			return false
		}
	}
	return len(checks) > 0
}

// failedNames lists the checks that did not pass, for audit lines.
func failedNames(checks []web.Check) []string {
	var out []string
	for _, c := range checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// result is a check that passed with okDetail when err is nil, else failed with err.
func result(name string, err error, okDetail string) web.Check {
	if err != nil {
		return web.Check{Name: name, Detail: oneLine(err.Error())}
	}
	return web.Check{Name: name, OK: true, Detail: okDetail}
}

// notRun marks checks skipped because of why.
func notRun(why string, checkNames ...string) []web.Check {
	out := make([]web.Check, 0, len(checkNames))
	for _, n := range checkNames {
		out = append(out, web.Check{Name: n, Detail: "not run: " + why})
	}
	return out
}

// names returns the settings that problems (an errors.Join of *config.SettingError)
// are about.
func names(problems error) map[string]bool {
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

// methodDetail says what the IdP offers for method.
func methodDetail(method string) string {
	if method == config.MethodPKCE {
		return "pkce: authorization code with PKCE S256"
	}
	return "implicit: ID token by form_post"
}

// wellKnown is the discovery URL of issuer.
func wellKnown(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// oneLine joins a multi-line error text (errors.Join) with semicolons.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }
