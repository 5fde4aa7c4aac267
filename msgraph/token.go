package msgraph

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// AppTokens gets and reuses application tokens for Graph from the client-credentials
// grant (scope GRAPH/.default), one per tenant, until a minute before they expire.
// It is safe for concurrent use.
type AppTokens struct {
	ClientID     string
	ClientSecret string
	AuthStyle    oauth2.AuthStyle
	// TokenURL returns the token endpoint for a tenant ID (multi-tenant apps must ask
	// the user's own tenant).
	TokenURL func(tenant string) string
	BaseURL  string // the Graph root the token is for
	HTTP     *http.Client
	Now      func() time.Time

	mu     sync.Mutex
	tokens map[string]*oauth2.Token // by tenant
}

// maxCachedTenants bounds the cache; multi-tenant apps are bounded by ALLOWED_TENANTS.
const maxCachedTenants = 64

// Token returns an application token for tenant.
func (a *AppTokens) Token(ctx context.Context, tenant string) (string, error) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	a.mu.Lock()
	tok := a.tokens[tenant]
	a.mu.Unlock()
	if tok != nil && tok.Expiry.After(now().Add(time.Minute)) {
		return tok.AccessToken, nil
	}
	cfg := clientcredentials.Config{
		ClientID: a.ClientID, ClientSecret: a.ClientSecret, TokenURL: a.TokenURL(tenant),
		Scopes: []string{strings.TrimSuffix(a.BaseURL, "/") + "/.default"}, AuthStyle: a.AuthStyle,
	}
	tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, a.HTTP))
	if err != nil {
		if re, ok := err.(*oauth2.RetrieveError); ok && re.ErrorCode != "" {
			return "", fmt.Errorf("msgraph: the client-credentials grant was refused: %s: %s", re.ErrorCode, re.ErrorDescription)
		}
		return "", fmt.Errorf("msgraph: getting an application token: %w", err)
	}
	a.mu.Lock()
	if a.tokens == nil || len(a.tokens) >= maxCachedTenants {
		a.tokens = make(map[string]*oauth2.Token)
	}
	a.tokens[tenant] = tok
	a.mu.Unlock()
	return tok.AccessToken, nil
}

// TenantTokenURL is the token endpoint of tenant: a multi-tenant endpoint
// (…/common/…, …/organizations/…, …/{tenantid}/…) gets the tenant in its first path
// segment, since the client-credentials grant must ask the user's own tenant.
func TenantTokenURL(endpoint, tenant string) string {
	if tenant == "" {
		return endpoint
	}
	for _, seg := range []string{"/common/", "/organizations/", "/consumers/", "/{tenantid}/"} {
		if i := strings.Index(endpoint, seg); i >= 0 {
			return endpoint[:i] + "/" + tenant + "/" + endpoint[i+len(seg):]
		}
	}
	return endpoint
}
