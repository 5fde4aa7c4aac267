package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ssogate/ssogate/ops"
)

// seriesCount is the number of time series reg exposes.
func seriesCount(t *testing.T, reg *prometheus.Registry) int {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	n := 0
	for _, f := range families {
		n += len(f.GetMetric())
	}
	return n
}

func TestRandomIdPErrorCodesAddNoMetricSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := ops.NewMetrics(reg)
	f := newFixture(t, fixtureOptions{hooks: Hooks{Request: func(class string, status int, _ time.Duration) { m.Request(class, status) },
		SignIn: m.SignIn, TokenFailure: m.TokenFailure}})
	send := func(query string) int {
		rec := httptest.NewRecorder()
		f.gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oidc/callback?"+query, nil))
		return rec.Code
	}
	random := func() string {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	// The series a real refusal and an unknown code create, before the flood.
	send("error=access_denied")
	send("error=" + random())
	send("error=" + random() + "&state=" + random())
	before := seriesCount(t, reg)
	for i := range 10_000 {
		q := url.Values{"error": {random()}}
		if i%2 == 1 {
			q.Set("state", random()) // a state this browser never started: state_mismatch
		}
		if code := send(q.Encode()); code != http.StatusBadRequest {
			t.Fatalf("request %d: status %d, want 400", i, code)
		}
	}
	if after := seriesCount(t, reg); after != before {
		t.Fatalf("series: got %d after 10,000 random IdP error codes, want %d as before", after, before)
	}
	// Without the state of a sign-in this browser started, an IdP error is a
	// state mismatch whatever its code (its text is never shown either).
	f.logs.waitFor(t, "sign-in failed", func(r map[string]any) bool { return r["reason"] == "state_mismatch" })
}
