package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// isPublicSuffix reports whether domain is one under which anyone can register a
// name: a top-level domain (com, io) or a listed suffix (co.uk, github.io). A
// single label the list does not know (internal, corp, local) is a private
// network's name, not a public suffix.
func isPublicSuffix(domain string) bool {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	suffix, icann := publicsuffix.PublicSuffix(domain)
	return suffix == domain && (icann || strings.Contains(domain, "."))
}

// upstreamLoop says why UPSTREAM_URL points at the gateway's own LISTEN_ADDR, or "":
// every request it lets through would come back to it, and a public path or an API
// key would go round until the connections run out.
func (c Config) upstreamLoop() string {
	u := c.UpstreamURL
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	listenHost, listenPort, err := net.SplitHostPort(c.ListenAddr)
	if err != nil {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	host := u.Hostname()
	anyAddr := listenHost == "" || listenHost == "0.0.0.0" || listenHost == "::"
	same := strings.EqualFold(host, listenHost) || anyAddr && isLoopback(host) ||
		strings.EqualFold(host, "localhost") && (listenHost == "127.0.0.1" || listenHost == "::1")
	if port != listenPort || !same {
		return ""
	}
	return "is the gateway's own LISTEN_ADDR (" + c.ListenAddr + "), so requests would come back to the gateway: set it to the application's address, e.g. http://wandb:8080"
}

// validUpstream reports whether u is an http(s) URL with a host or a unix socket path.
func validUpstream(u *url.URL) bool {
	switch u.Scheme {
	case "http", "https":
		return u.Host != "" && u.Opaque == ""
	case "unix":
		return u.Host == "" && strings.HasPrefix(u.Path, "/")
	}
	return false
}

// logoutProblem says what is wrong with a logout URL template, or "".
func logoutProblem(tmpl string) string {
	for _, p := range placeholders(tmpl) {
		if p != "{client_id}" && p != "{post_logout_redirect_uri}" && p != "{id_token_hint}" {
			return fmt.Sprintf("unknown placeholder %s: use {client_id}, {post_logout_redirect_uri} or {id_token_hint}", p)
		}
	}
	filled := strings.NewReplacer("{client_id}", "x", "{post_logout_redirect_uri}", "x", "{id_token_hint}", "x").Replace(tmpl)
	u, err := url.Parse(filled)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return "must be an absolute https:// URL, e.g. https://DOMAIN.auth.REGION.amazoncognito.com/logout?client_id={client_id}&logout_uri={post_logout_redirect_uri}"
	}
	return ""
}

// placeholders lists the {name} parts of a logout URL template; an unclosed one is
// listed as it stands.
func placeholders(tmpl string) []string {
	var out []string
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			return append(out, tmpl[i:])
		}
		out = append(out, tmpl[i:i+j+1])
		tmpl = tmpl[i+j+1:]
	}
}

// isStoreURL reports whether s has the form of a Redis URL: redis:// or rediss://
// with a host, or unix:// with a socket path. What the URL's options say is the
// Redis store's to check (redisstore.CheckURL), before anything starts.
func isStoreURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "redis", "rediss":
		return u.Host != ""
	case "unix":
		return u.Host == "" && u.Path != ""
	}
	return false
}
