package ops

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Readiness as metrics: each scrape runs the checks, as /readyz does.
var (
	readyDesc = prometheus.NewDesc("ssogate_ready",
		"1 when every readiness check passes (what /readyz answers 200 for), else 0.", nil, nil)
	readyCheckDesc = prometheus.NewDesc("ssogate_ready_check",
		"1 when the readiness check passes, else 0, by check (settings, idp, session_store, revocation_store).",
		[]string{"check"}, nil)
)

// readinessCollector exports the readiness checks' results.
type readinessCollector struct{ s *Server }

// Describe sends the two metrics' descriptions.
func (c readinessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- readyDesc
	ch <- readyCheckDesc
}

// Collect runs every check, bounded by the check timeout, and sends the results.
func (c readinessCollector) Collect(ch chan<- prometheus.Metric) {
	errs := c.s.runChecks(context.Background())
	ready := 1.0
	for i, err := range errs {
		v := 1.0
		if err != nil {
			v, ready = 0, 0
		}
		ch <- prometheus.MustNewConstMetric(readyCheckDesc, prometheus.GaugeValue, v, c.s.names[i])
	}
	ch <- prometheus.MustNewConstMetric(readyDesc, prometheus.GaugeValue, ready)
}
