package settings

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/ssogate/ssogate/doctor"
	"github.com/ssogate/ssogate/web"
)

// check turns one probe result into a row of the page: the check's name and, for a
// failure the page can explain (a network or TLS error) or a skip, a message key in
// the web string tables with its values. Anything else keeps the probe's own text,
// which already names the fix.
func check(r doctor.Result) web.Check {
	c := web.Check{ID: r.ID, Name: r.Name, OK: r.Status == doctor.Pass,
		Skipped: r.Status == doctor.Skipped, Detail: r.Detail}
	// On this page the break-glass admin is fixing exactly those settings.
	c.Detail = strings.ReplaceAll(c.Detail, " (unless LOCAL_RESTORE=true)", "")
	switch r.Status {
	case doctor.Fail:
		if r.Err != nil {
			c.DetailKey, c.DetailArgs = explainError(r.Err)
		}
	case doctor.Skipped:
		c.DetailKey, c.DetailArgs = explainSkip(r.Detail)
	}
	return c
}

// explainError names a network or TLS failure in plain words: the message key and
// the host or address it is about. "" when the error is none of those.
func explainError(err error) (string, map[string]string) {
	host := ""
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Host
		}
	}
	var dns *net.DNSError
	var op *net.OpError
	var unknownCA x509.UnknownAuthorityError
	var badHost x509.HostnameError
	var invalid x509.CertificateInvalidError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return "check.err.dns", map[string]string{"host": dns.Name}
	case errors.Is(err, syscall.ECONNREFUSED) && errors.As(err, &op) && op.Addr != nil:
		return "check.err.refused", map[string]string{"addr": op.Addr.String()}
	case errors.As(err, &unknownCA), errors.As(err, &badHost), errors.As(err, &invalid):
		return "check.err.tls", map[string]string{"host": host}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "check.err.timeout", map[string]string{"host": host}
	}
	return "", nil
}

// explainSkip names why a check was not run, for the reasons the probe gives.
func explainSkip(detail string) (string, map[string]string) {
	why := strings.TrimPrefix(detail, "not run: ")
	if setting, ok := strings.CutPrefix(why, "fix "); ok {
		return "check.skip.fix", map[string]string{"setting": strings.TrimSuffix(setting, " first")}
	}
	switch why {
	case "discovery failed":
		return "check.skip.discovery", nil
	case "the issuer does not match":
		return "check.skip.issuer", nil
	}
	return "", nil
}
