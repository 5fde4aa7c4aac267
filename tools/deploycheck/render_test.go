package main

import (
	"strings"
	"testing"
)

func TestRenderFixture(t *testing.T) {
	ch, err := LoadChart("testdata/chart")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(ch, map[string]any{"name": "other"})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeStrict(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || !strings.Contains(out, "name: other") {
		t.Errorf("Render gave %d objects:\n%s\nwant one ConfigMap named other", len(objs), out)
	}
}

// A value Helm has to drop (a string over a table) is only logged by Helm; Render must
// turn it into an error.
func TestRenderFailsOnDroppedValue(t *testing.T) {
	ch, err := LoadChart("testdata/chart")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Render(ch, map[string]any{"config": map[string]any{"table": "not a table"}})
	if err == nil || !strings.Contains(err.Error(), "cannot overwrite table") {
		t.Errorf("Render(string over a table) = %v, want Helm's warning as an error", err)
	}
}

func TestLint(t *testing.T) {
	if err := Lint("testdata/chart", nil); err != nil {
		t.Errorf("Lint(fixture) = %v, want nil", err)
	}
	// An invalid name renders, but lint rejects it.
	if err := Lint("testdata/chart", map[string]any{"name": "Not_A_Name"}); err == nil {
		t.Error("Lint(invalid metadata.name) = nil, want an error")
	}
}

func TestKubeVersionFollowsAPITypes(t *testing.T) {
	kv := kubeVersion()
	if kv.Major != "1" || kv.Minor == "" || kv.Minor == "0" || !strings.HasPrefix(kv.Version, "v1."+kv.Minor+".") {
		t.Errorf("kubeVersion() = %+v, want v1.N.P from k8s.io/api v0.N.P", kv)
	}
}

func TestLintFailsOnDroppedValue(t *testing.T) {
	err := Lint("testdata/chart", map[string]any{"config": map[string]any{"table": "not a table"}})
	if err == nil || !strings.Contains(err.Error(), "cannot overwrite table") {
		t.Errorf("Lint(string over a table) = %v, want Helm's warning as an error", err)
	}
}
