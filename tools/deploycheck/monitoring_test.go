package main

import (
	"maps"
	"slices"
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
	got := ExportedMetrics(doc + "| `ssogate_jwks_refreshes_total` | counter | — | x |\n")
	want := map[string][]string{
		"ssogate_sign_ins_total":                      {"outcome"},
		"ssogate_idp_request_duration_seconds":        {"call"},
		"ssogate_idp_request_duration_seconds_bucket": {"call", "le"},
		"ssogate_idp_request_duration_seconds_sum":    {"call"},
		"ssogate_idp_request_duration_seconds_count":  {"call"},
		"ssogate_jwks_refreshes_total":                nil,
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
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
		{"histogram series", rule("histogram_quantile(0.9, sum by (le, call) (rate(ssogate_idp_request_duration_seconds_bucket{call='token'}[5m]))) > 1", "x"), ""},
		{"unknown label", rule("rate(ssogate_sign_ins_total{reason='ok'}[5m]) > 1", "x"), "ssogate_sign_ins_total has no label reason"},
		{"unknown grouping label", rule("sum by (code) (rate(ssogate_idp_request_duration_seconds_count[5m])) > 1", "x"), "sum by code: no metric in it has that label"},
		{"le outside the buckets", rule("sum by (le) (rate(ssogate_idp_request_duration_seconds_count[5m])) > 1", "x"), "sum by le"},
		{"target labels", rule("max by (namespace, job) (ssogate_sign_ins_total{instance='a'}) > 1", "x"), ""},
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
		"templating":{"list":[{"query":"label_values(ssogate_readyz, instance)"},
			{"query":"label_values(ssogate_sign_ins_total{outcome=\"success\"}, call)"},
			{"definition":"label_values(ssogate_sign_ins_total{outcome=~\"s.*\"}, instance)"}]}}`
	exprs, err := DashboardExprs([]byte(dash))
	if err != nil {
		t.Fatal(err)
	}
	err = checkNames("dash", exprs, known)
	for _, want := range []string{"ssogate_ready_checks is not", "ssogate_readyz is not", "count by call"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("dashboard check: %v, want %q (nested panels and variable queries are checked)", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "ssogate_sign_ins_total") {
		t.Errorf("a known metric was refused: %v", err)
	}
}
