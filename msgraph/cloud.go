package msgraph

import (
	"net/url"
	"strings"
)

// Graph roots of the Microsoft clouds.
const (
	GlobalURL = "https://graph.microsoft.com"
	USGovURL  = "https://graph.microsoft.us"
	ChinaURL  = "https://microsoftgraph.chinacloudapi.cn"
)

// DefaultBaseURL is the Graph root of the cloud an Entra issuer belongs to:
// login.microsoftonline.us is US Government, login.partner.microsoftonline.cn (and
// login.chinacloudapi.cn) is the China cloud, anything else the global service.
func DefaultBaseURL(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return GlobalURL
	}
	switch host := strings.ToLower(u.Hostname()); {
	case host == "login.microsoftonline.us":
		return USGovURL
	case host == "login.partner.microsoftonline.cn" || host == "login.chinacloudapi.cn":
		return ChinaURL
	}
	return GlobalURL
}
