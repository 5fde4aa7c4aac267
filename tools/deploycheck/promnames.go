package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// externalMetrics are series the dashboard and the rules may use that the gateway
// does not export: Prometheus's own scrape health.
var externalMetrics = []string{"up"}

// targetLabels are the labels Prometheus adds to every scraped series: job and
// instance always, the rest with the Prometheus Operator's ServiceMonitor.
var targetLabels = []string{"job", "instance", "namespace", "pod", "service", "container", "endpoint"}

// ExportedMetrics reads the metric table of docs/metrics.md: each metric name with
// the labels its row lists (a histogram's _bucket, _sum and _count series too, the
// buckets with le).
func ExportedMetrics(doc string) map[string][]string {
	out := map[string][]string{}
	row := regexp.MustCompile("(?m)^\\| `([a-z_:][a-z0-9_:]*)` \\| ([a-z]+) \\| ([^|]*) \\|")
	label := regexp.MustCompile("`([a-zA-Z_][a-zA-Z0-9_]*)`")
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		var names []string
		for _, l := range label.FindAllStringSubmatch(m[3], -1) {
			names = append(names, l[1])
		}
		out[m[1]] = names
		if m[2] == "histogram" {
			out[m[1]+"_bucket"] = append(slices.Clone(names), "le")
			out[m[1]+"_sum"] = names
			out[m[1]+"_count"] = names
		}
	}
	return out
}

// checkNames parses each expression and reports the metrics it names that are not
// in known, the labels its selectors match that the metric does not carry, and the
// labels an aggregation groups by that none of its metrics carries. Target labels
// are allowed everywhere.
func checkNames(file string, exprs map[string]string, known map[string][]string) error {
	var errs []error
	p := promql()
	for where, text := range exprs {
		expr, err := p.ParseExpr(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", file, where, err))
			continue
		}
		fail := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("%s %s: %s", file, where, fmt.Sprintf(format, a...)))
		}
		parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
			switch n := node.(type) {
			case *parser.VectorSelector:
				name := metricName(n)
				if name == "" {
					return nil // no one metric: nothing to check against
				}
				carried, ok := known[name]
				if !ok && !slices.Contains(externalMetrics, name) {
					fail("%s is not a metric the gateway exports (%s)", name, metricsDoc)
					return nil
				}
				for _, m := range n.LabelMatchers {
					if m.Name != model.MetricNameLabel && !slices.Contains(carried, m.Name) && !slices.Contains(targetLabels, m.Name) {
						fail("%s has no label %s (%s)", name, m.Name, metricsDoc)
					}
				}
			case *parser.AggregateExpr:
				if n.Without {
					return nil
				}
				carried := slices.Clone(targetLabels)
				for _, sel := range parser.ExtractSelectors(n.Expr) {
					for _, m := range sel {
						if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
							if _, ok := known[m.Value]; !ok && !slices.Contains(externalMetrics, m.Value) {
								return nil // reported as an unknown metric
							}
							carried = append(carried, known[m.Value]...)
						}
					}
				}
				for _, l := range n.Grouping {
					if !slices.Contains(carried, l) {
						fail("%s by %s: no metric in it has that label (%s)", n.Op, l, metricsDoc)
					}
				}
			}
			return nil
		})
	}
	return errors.Join(errs...)
}

// metricName is the metric a selector names (an exact __name__ match), or "".
func metricName(sel *parser.VectorSelector) string {
	if sel.Name != "" {
		return sel.Name
	}
	for _, m := range sel.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}
