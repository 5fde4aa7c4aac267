package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestRisks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   []string // each risk, as "NAME=value: the start of its text"
	}{
		{"defaults", func(*Config) {}, nil},
		{"ingress ranges", func(c *Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
		}, nil},
		{"every address", func(c *Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
		}, []string{`TRUSTED_PROXIES="0.0.0.0/0": trusts every address: any client`, `TRUSTED_PROXIES="::/0": trusts every address`}},
		{"plain http to a host", func(c *Config) { c.PublicURL = mustURL("http://wandb.example.com") },
			[]string{`PUBLIC_URL="http://wandb.example.com": is http:// on a host other than this machine: the session cookie goes without Secure`}},
		{"plain http on loopback", func(c *Config) { c.PublicURL = mustURL("http://127.0.0.1:4180") }, nil},
		{"https", func(c *Config) { c.PublicURL = mustURL("https://wandb.example.com") }, nil},
		{"upstream through the public name", func(c *Config) { c.UpstreamURL = mustURL("https://WANDB.example.com/") },
			[]string{`UPSTREAM_URL="https://WANDB.example.com/": has PUBLIC_URL's host: where that name leads to this gateway`}},
		{"upstream of its own", func(c *Config) { c.UpstreamURL = mustURL("http://wandb:8080") }, nil},
		{"upstream on the public name's other port", func(c *Config) { c.UpstreamURL = mustURL("http://wandb.example.com:8080") }, nil},
		{"refresh every 15 minutes", func(c *Config) { c.RefreshInterval = 15 * time.Minute }, nil},
		{"refresh every second", func(c *Config) { c.RefreshInterval = time.Second },
			[]string{`REFRESH_INTERVAL="1s": is under a minute: each signed-in user's requests call the IdP's token endpoint`}},
		{"TLS served by the gateway", func(c *Config) {
			c.PublicURL, c.TLSCertFile, c.TLSKeyFile = mustURL("http://wandb.example.com"), "/tls.crt", "/tls.key"
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			c.PublicURL = mustURL("https://wandb.example.com")
			tc.change(&c)
			risks := c.Risks()
			if len(risks) != len(tc.want) {
				t.Fatalf("Risks() = %v, want %d: %v", risks, len(tc.want), tc.want)
			}
			for i, r := range risks {
				if !strings.HasPrefix(r.Error(), tc.want[i]) {
					t.Errorf("risk %d = %q, want it to start %q", i, r.Error(), tc.want[i])
				}
			}
		})
	}
}
