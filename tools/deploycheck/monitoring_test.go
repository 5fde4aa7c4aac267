package main

import (
	"strings"
	"testing"
)

// TestMonitoringFiles checks the repository's own rules, dashboard and chart, as CI does.
func TestMonitoringFiles(t *testing.T) {
	objs, err := renderEverySetting("../../deploy/helm/ssogate")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	if err := CheckMonitoring("../..", objs, func(f string, a ...any) { lines = append(lines, f) }); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 {
		t.Errorf("want one ok line, got %q", lines)
	}
}

const doc = "| metric | type | labels | meaning |\n|---|---|---|---|\n" +
	"| `ssogate_sign_ins_total` | counter | `outcome` | x |\n| `ssogate_idp_request_duration_seconds` | histogram | `call` | x |\n"

func TestExportedMetrics(t *testing.T) {
	got := strings.Join(ExportedMetrics(doc), " ")
	want := "ssogate_sign_ins_total ssogate_idp_request_duration_seconds ssogate_idp_request_duration_seconds_bucket ssogate_idp_request_duration_seconds_sum ssogate_idp_request_duration_seconds_count"
	if got != want {
		t.Errorf("ExportedMetrics = %q, want %q", got, want)
	}
}

func TestRulesAndDashboardsAreChecked(t *testing.T) {
	known := ExportedMetrics(doc)
	rule := func(expr, summary string) string {
		return "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: " + expr + "\n        annotations:\n          summary: \"" + summary + "\"\n"
	}
	for _, tc := range []struct{ name, rules, want string }{
		{"unknown metric", rule("rate(ssogate_sign_in_total[5m]) > 1", "x"), "ssogate_sign_in_total is not a metric the gateway exports"},
		{"histogram series", rule("histogram_quantile(0.9, sum by (le) (rate(ssogate_idp_request_duration_seconds_bucket[5m]))) > 1", "x"), ""},
		{"scrape health", rule("up == 0", "x"), ""},
		{"bad PromQL", rule("rate(ssogate_sign_ins_total[5m] > 1", "x"), "expr"},
		{"bad template", rule("up == 0", "{{ $value | nosuchfunc }}"), "nosuchfunc"},
		{"unknown field", strings.Replace(rule("up == 0", "x"), "expr:", "exprr: up\n        expr:", 1), "exprr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups, err := ParseRules([]byte(tc.rules))
			if err == nil {
				err = checkNames("rules", ruleExprs(groups), known)
			}
			if tc.want == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}

	dash := `{"panels":[{"targets":[{"expr":"sum(rate(ssogate_sign_ins_total{job=~\"$job\"}[$__rate_interval]))"}]},
		{"panels":[{"targets":[{"expr":"sum(ssogate_ready_checks)"}]}]}],
		"templating":{"list":[{"query":"label_values(ssogate_readyz, instance)"}]}}`
	exprs, err := DashboardExprs([]byte(dash))
	if err != nil {
		t.Fatal(err)
	}
	err = checkNames("dash", exprs, known)
	for _, want := range []string{"ssogate_ready_checks is not", "ssogate_readyz is not"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("dashboard check: %v, want %q (nested panels and variable queries are checked)", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "ssogate_sign_ins_total") {
		t.Errorf("a known metric was refused: %v", err)
	}
}
