package ops

import (
	"slices"
	"strconv"
	"time"
)

// Label values come from the fixed sets below, written down in docs/metrics.md. A value
// outside its set is counted as "other": label values never come from what a client
// sends, so no request can add a series.
var (
	// RouteClasses are the values of route_class.
	RouteClasses = slices.Clone(routeClasses[:])
	// SignInOutcomes are the values of ssogate_sign_ins_total's outcome.
	SignInOutcomes = []string{"success", "failure"}
	// SignInReasons are the values of ssogate_sign_ins_total's reason: "ok", the
	// failure reasons, and "idp_" with each error code OAuth 2.0 and OpenID Connect
	// define (any other IdP code is "idp_other").
	SignInReasons = append([]string{"ok", "nonce", "state_expired", "state_mismatch", "replayed",
		"token_endpoint", "idp_unreachable", "bad_response", "settings_changed", "busy", "groups_unavailable", "other"},
		append(tokenReasons(), idpReasons()...)...)
	// TokenFailureReasons are the values of ssogate_token_failures_total's reason.
	TokenFailureReasons = append(tokenReasons(), "other")
	// GroupSources and GroupOutcomes are the values of ssogate_group_lookups_total.
	GroupSources  = []string{"graph", "userinfo"}
	GroupOutcomes = []string{"ok", "denied", "unavailable", "mismatch"}
)

func tokenReasons() []string {
	return []string{"signature", "expired", "issuer", "audience", "nonce", "typ", "claims", "iat",
		"at_hash", "c_hash", "unknown_key", "jwks_unavailable", "malformed", "algorithm", "not_yet_valid",
		"events", "jti", "sub_sid", "tenant", "revoked"}
}

func idpReasons() []string {
	return []string{"idp_access_denied", "idp_invalid_request", "idp_unauthorized_client",
		"idp_unsupported_response_type", "idp_invalid_scope", "idp_server_error", "idp_temporarily_unavailable",
		"idp_interaction_required", "idp_login_required", "idp_account_selection_required", "idp_consent_required",
		"idp_invalid_request_uri", "idp_invalid_request_object", "idp_request_not_supported",
		"idp_request_uri_not_supported", "idp_registration_not_supported", "idp_invalid_grant",
		"idp_invalid_client", "idp_unsupported_grant_type", "idp_other"}
}

// oneOf returns v when set holds it, else "other".
func oneOf(set []string, v string) string {
	if slices.Contains(set, v) {
		return v
	}
	return "other"
}

// routeClasses are the values of route_class, as an array for Metrics' series.
var routeClasses = [...]string{"upstream", "forward_auth", "sign_in", "logout", "gateway"}

// classIndex is routeClass's index in routeClasses, or len(routeClasses): "other".
func classIndex(routeClass string) int {
	for i, c := range routeClasses {
		if c == routeClass {
			return i
		}
	}
	return len(routeClasses)
}

// codeLabels is how many code labels there are: 100 to 599, and "other".
const codeLabels = 501

// codeIndex is the index of code's label: code-100 for 100 to 599, else 500 ("other").
func codeIndex(code int) int {
	if code < 100 || code > 599 {
		return codeLabels - 1
	}
	return code - 100
}

// statusLabels returns the code label of each HTTP status from 100 to 599, made
// once so that labelling a request allocates nothing.
func statusLabels() []string {
	out := make([]string, 500)
	for i := range out {
		out[i] = strconv.Itoa(100 + i)
	}
	return out
}

// statusLabel is code as a label: a real HTTP status (100–599), else "other".
func (m *Metrics) statusLabel(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return m.codes[code-100]
}

// Request counts one request on the public listener.
func (m *Metrics) Request(routeClass string, status int) {
	class := classIndex(routeClass)
	code := codeIndex(status)
	slot := &m.requestSeries[class][code]
	c := slot.Load()
	if c == nil {
		label := "other"
		if class < len(routeClasses) {
			label = routeClasses[class]
		}
		c = &counterSeries{m.Requests.WithLabelValues(label, m.statusLabel(status))}
		slot.Store(c)
	}
	c.Inc()
}

// SignIn counts one completed sign-in.
func (m *Metrics) SignIn(outcome, reason string) {
	m.SignIns.WithLabelValues(oneOf(SignInOutcomes, outcome), oneOf(SignInReasons, reason)).Inc()
}

// TokenFailure counts one rejected token.
func (m *Metrics) TokenFailure(reason string) {
	m.TokenFailures.WithLabelValues(oneOf(TokenFailureReasons, reason)).Inc()
}

// GroupLookup counts one look-up of groups an ID token lacked.
func (m *Metrics) GroupLookup(source, outcome string) {
	m.GroupLookups.WithLabelValues(oneOf(GroupSources, source), oneOf(GroupOutcomes, outcome)).Inc()
}

// Upstream observes one proxied request: its status code (as Request labels it)
// and how long it took.
func (m *Metrics) Upstream(status int, elapsed time.Duration) {
	slot := &m.upstreamSeries[codeIndex(status)]
	o := slot.Load()
	if o == nil {
		o = &observerSeries{m.UpstreamLatency.WithLabelValues(m.statusLabel(status))}
		slot.Store(o)
	}
	o.Observe(elapsed.Seconds())
}
