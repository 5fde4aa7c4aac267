package proxy

import (
	"net/http"

	"github.com/ssogate/ssogate/internal/httperr"
)

// isNavigation reports whether r is a browser navigation that may be redirected to sign in.
func isNavigation(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && httperr.WantsHTML(r)
}
