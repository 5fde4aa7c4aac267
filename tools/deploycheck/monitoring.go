package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/runtime"
)

// Where the monitoring files live, relative to the repository.
const (
	metricsDoc    = "docs/metrics.md"
	rulesFile     = "deploy/helm/ssogate/files/ssogate-rules.yaml"
	dashboardFile = "deploy/grafana/ssogate.json"
)

// CheckMonitoring checks the alert rules and the Grafana dashboard: the rules parse
// and validate with Prometheus's rule parser, docs/metrics.md shows exactly the rule
// file, the chart's PrometheusRule (rendered from values) holds the same rules, and
// every metric a rule or a panel names is one docs/metrics.md lists as exported, with
// the labels it lists (a test of the gateway pins that table to the metrics it
// registers).
func CheckMonitoring(root string, rendered []runtime.Object, logf func(string, ...any)) error {
	doc, err := os.ReadFile(filepath.Join(root, metricsDoc))
	if err != nil {
		return err
	}
	known := ExportedMetrics(string(doc))
	if len(known) == 0 {
		return fmt.Errorf("%s: no metric table found", metricsDoc)
	}
	raw, err := os.ReadFile(filepath.Join(root, rulesFile))
	if err != nil {
		return err
	}
	var errs []error
	groups, err := ParseRules(raw)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", rulesFile, err))
	} else {
		errs = append(errs, checkNames(rulesFile, ruleExprs(groups), known))
		if block, ok := yamlBlockAfter(string(doc), "## Example alerts"); !ok || strings.TrimSpace(block) != strings.TrimSpace(string(raw)) {
			errs = append(errs, fmt.Errorf("%s: the example alerts are not %s as it is: copy the file into the block", metricsDoc, rulesFile))
		}
		errs = append(errs, checkRenderedRules(rendered, groups))
	}
	dash, err := os.ReadFile(filepath.Join(root, dashboardFile))
	if err != nil {
		errs = append(errs, err)
	} else if exprs, err := DashboardExprs(dash); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", dashboardFile, err))
	} else {
		errs = append(errs, checkNames(dashboardFile, exprs, known))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	logf("ok   %s, %s and the chart's PrometheusRule: %d rules parse, every metric and label named is exported", rulesFile, dashboardFile, len(ruleExprs(groups)))
	return nil
}

// ParseRules parses and validates a Prometheus rule file with Prometheus's parser:
// unknown fields, PromQL and annotation templates included.
func ParseRules(raw []byte) (*rulefmt.RuleGroups, error) {
	groups, errs := rulefmt.Parse(raw, false, model.UTF8Validation, promql(), slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(groups.Groups) == 0 {
		return nil, errors.New("no rule groups")
	}
	return groups, nil
}

func promql() parser.Parser { return parser.NewParser(parser.Options{}) }

// ruleExprs lists every rule's expression, by its alert or record name.
func ruleExprs(groups *rulefmt.RuleGroups) map[string]string {
	out := map[string]string{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			out[g.Name+"/"+r.Alert+r.Record] = r.Expr
		}
	}
	return out
}

// checkRenderedRules compares the chart's PrometheusRule with the rule file.
func checkRenderedRules(objs []runtime.Object, want *rulefmt.RuleGroups) error {
	var found []*monitoringv1.PrometheusRule
	for _, o := range objs {
		if pr, ok := o.(*monitoringv1.PrometheusRule); ok {
			found = append(found, pr)
		}
	}
	if len(found) != 1 {
		return fmt.Errorf("the chart rendered %d PrometheusRules with metrics.prometheusRule.enabled, want 1", len(found))
	}
	b, err := json.Marshal(found[0].Spec)
	if err != nil {
		return err
	}
	got, err := ParseRules(b) // JSON is YAML
	if err != nil {
		return fmt.Errorf("the chart's PrometheusRule: %w", err)
	}
	g, w := ruleExprs(got), ruleExprs(want)
	if len(g) != len(w) {
		return fmt.Errorf("the chart's PrometheusRule has %d rules, %s has %d", len(g), rulesFile, len(w))
	}
	for name, expr := range w {
		if g[name] != expr {
			return fmt.Errorf("the chart's PrometheusRule differs from %s in %s", rulesFile, name)
		}
	}
	return nil
}

// grafanaVars are Grafana's interval variables, replaced by a duration to parse.
var grafanaVars = regexp.MustCompile(`\$__[a-z_]+|\$\{__[a-z_]+\}`)

// DashboardExprs returns every PromQL expression of a Grafana dashboard (the panels'
// targets) and, for every label_values(metric, label) variable query, an expression
// that names that metric and label; keyed by where.
func DashboardExprs(raw []byte) (map[string]string, error) {
	var dash any
	if err := json.Unmarshal(raw, &dash); err != nil {
		return nil, err
	}
	out := map[string]string{}
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				if s, ok := child.(string); ok {
					switch {
					case k == "expr":
						out[path+"/expr"] = grafanaVars.ReplaceAllString(s, "5m")
					case k == "query" || k == "definition":
						if m := labelValues.FindStringSubmatch(s); m != nil {
							// The metric and label the variable reads, as an expression.
							out[path+"/"+k] = "count by (" + m[2] + ") (" + m[1] + ")"
						}
					}
					continue
				}
				walk(path+"/"+k, child)
			}
		case []any:
			for i, child := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), child)
			}
		}
	}
	walk("", dash)
	if len(out) == 0 {
		return nil, errors.New("no PromQL expressions found")
	}
	return out, nil
}

// yamlBlockAfter returns the first ```yaml block after heading in a Markdown text.
func yamlBlockAfter(doc, heading string) (string, bool) {
	i := strings.Index(doc, heading)
	if i < 0 {
		return "", false
	}
	rest := doc[i:]
	start := strings.Index(rest, "```yaml\n")
	if start < 0 {
		return "", false
	}
	rest = rest[start+len("```yaml\n"):]
	end := strings.Index(rest, "```")
	if end < 0 {
		return "", false
	}
	return rest[:end], true
}

// renderEverySetting renders the chart with the example that turns everything on.
func renderEverySetting(chartDir string) ([]runtime.Object, error) {
	vals, err := chartutil.ReadValuesFile(filepath.Join(chartDir, "examples", everySetting))
	if err != nil {
		return nil, err
	}
	return lintAndRender(chartDir, vals)
}
