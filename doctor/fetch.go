package doctor

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/ssogate/ssogate/oidcflow"
)

// The probe fetches URLs that an admin typed or that a discovery document names, so
// it must not become a way to reach or read other hosts: it follows redirects only on
// the same host, asks a non-loopback IdP over https only, and shows no reply body
// from any endpoint but the discovery document itself.

// sameHostRedirects returns a copy of c that follows a redirect only to the host the
// request started on.
func sameHostRedirects(c *http.Client) *http.Client {
	out := *c
	next := c.CheckRedirect
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if from := via[0].URL; req.URL.Host != from.Host || req.URL.Scheme != from.Scheme {
			return fmt.Errorf("refusing a redirect from %s to another host (%s)", from.Host, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &out
}

// loopbackHost reports whether rawURL names this machine (127.0.0.0/8, ::1, localhost).
func loopbackHost(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// httpsProblem says why endpoint may not be fetched for an issuer that is not on
// loopback, or "" when it may.
func httpsProblem(issuer, endpoint, name string) string {
	if loopbackHost(issuer) {
		return ""
	}
	if u, err := url.Parse(endpoint); err != nil || u.Scheme != "https" {
		return fmt.Sprintf("%s %q is not an https URL; an identity provider outside this machine must be reached over https", name, endpoint)
	}
	return ""
}

// withoutReply is err's text with any endpoint reply replaced by its status and a
// fixed explanation.
func withoutReply(err error) string {
	var se *oidcflow.StatusError
	if errors.As(err, &se) {
		return fmt.Sprintf("the endpoint answered HTTP %d instead of its document (its reply is not shown)", se.Status)
	}
	return err.Error()
}
