package settings

import (
	"context"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/doctor"
	"github.com/ssogate/ssogate/web"
)

// checkTimeout bounds one test of a proposed IdP, all checks together.
const checkTimeout = 20 * time.Second

// runChecks tests cfg's SSO settings with the IdP probe `ssogate doctor` runs: that
// they are valid, that the issuer's discovery document can be read and names the same
// issuer, that it offers the chosen auth method, that its signing keys can be fetched
// and that the clocks agree.
func (h *Handler) runChecks(ctx context.Context, cfg config.Config) []web.Check {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	results := doctor.Run(ctx, cfg, doctor.Options{Client: h.opts.HTTPClient, Now: h.opts.Now})
	checks := make([]web.Check, 0, len(results))
	for _, r := range results {
		checks = append(checks, check(r))
	}
	return checks
}

// passed reports whether no check failed and at least one ran.
func passed(checks []web.Check) bool {
	for _, c := range checks {
		if !c.OK && !c.Skipped {
			return false
		}
	}
	return len(checks) > 0
}

// failedNames lists the checks that did not pass (failed or skipped), for audit lines.
func failedNames(checks []web.Check) []string {
	var out []string
	for _, c := range checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}
