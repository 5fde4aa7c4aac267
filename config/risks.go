package config

import (
	"strings"
	"time"
)

// Risks lists the settings that work but leave the gateway exposed. They are not
// problems (the configuration can be what the operator means), so the gateway
// starts and logs each as a warning.
func (c Config) Risks() []*SettingError {
	var rs []*SettingError
	for _, p := range c.TrustedProxies {
		if p.Bits() == 0 {
			rs = append(rs, &SettingError{Name: "TRUSTED_PROXIES", Value: p.String(),
				Problem: "trusts every address: any client that reaches the gateway directly can set X-Forwarded-For, -Host, -Proto and -Uri " +
					"(the client IP in the logs, the return URL after sign-in); list your ingress's addresses or ranges instead, " +
					"or make sure only the ingress can reach LISTEN_ADDR"})
		}
	}
	if u := c.PublicURL; u != nil && !c.HTTPS() && !isLoopback(u.Hostname()) {
		rs = append(rs, &SettingError{Name: "PUBLIC_URL", Value: showURL(u),
			Problem: "is http:// on a host other than this machine: the session cookie goes without Secure and can be read on the network; " +
				"serve the gateway over https (an ingress that terminates TLS, or TLS_CERT_FILE) and set PUBLIC_URL to its https:// address"})
	}
	if up, pub := c.UpstreamURL, c.PublicURL; up != nil && pub != nil && up.Host != "" && strings.EqualFold(up.Host, pub.Host) {
		rs = append(rs, &SettingError{Name: "UPSTREAM_URL", Value: showURL(up),
			Problem: "has PUBLIC_URL's host: where that name leads to this gateway (through an ingress or a load balancer), every request comes back to it; " +
				"point UPSTREAM_URL at the application's own address, e.g. http://wandb:8080"})
	}
	if d := c.RefreshInterval; d > 0 && d < time.Minute {
		rs = append(rs, &SettingError{Name: "REFRESH_INTERVAL", Value: shortDuration(d),
			Problem: "is under a minute: each signed-in user's requests call the IdP's token endpoint (and Microsoft Graph, for Entra's group overage) " +
				"that often, which IdPs rate-limit; use minutes, e.g. 15m"})
	}
	return rs
}
