package main

// allowedEnv lists variables the deployment files may give the gateway container although
// they are not gateway settings, each with the reason. Keep it short.
var allowedEnv = map[string]string{
	"HTTPS_PROXY":   "Go's HTTP client reaches the IdP through a proxy",
	"HTTP_PROXY":    "Go's HTTP client reaches the IdP through a proxy",
	"NO_PROXY":      "hosts the proxy is bypassed for",
	"SSL_CERT_FILE": "Go's TLS trusts an extra CA bundle (a private IdP)",
	"SSL_CERT_DIR":  "Go's TLS trusts an extra CA directory (a private IdP)",
}
