package main

import (
	"fmt"
	"log"
	"os"
	"path"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

// Release is the release name and namespace the checks render with, as `helm template`
// does by default.
var release = chartutil.ReleaseOptions{Name: "ssogate", Namespace: "default", Revision: 1, IsInstall: true}

// Lint runs `helm lint --strict` on the chart in dir with vals as the user's values: any
// warning or error is a failure.
func Lint(dir string, vals map[string]any) error {
	return failOnHelmWarnings(func() error {
		var problems []string
		for _, m := range lint.AllWithKubeVersion(dir, vals, release.Namespace, kubeVersion()).Messages {
			if m.Severity >= support.WarningSev {
				problems = append(problems, m.Error())
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("helm lint: %s", strings.Join(problems, "; "))
		}
		return nil
	})
}

// failOnHelmWarnings runs f and turns what Helm logged meanwhile into an error: Helm
// reports values it had to drop (a string over a table, …) only through the standard
// logger.
func failOnHelmWarnings(f func() error) error {
	var warnings strings.Builder
	log.SetOutput(&warnings)
	defer log.SetOutput(os.Stderr)
	err := f()
	if err == nil && warnings.Len() > 0 {
		err = fmt.Errorf("helm: %s", strings.TrimSpace(warnings.String()))
	}
	return err
}

// Render renders chart ch with vals as `helm template` does and returns the manifests
// (NOTES.txt excluded) as a single multi-document YAML stream, files in name order.
func Render(ch *chart.Chart, vals map[string]any) (string, error) {
	var out string
	err := failOnHelmWarnings(func() (err error) {
		out, err = render(ch, vals)
		return err
	})
	return out, err
}

func render(ch *chart.Chart, vals map[string]any) (string, error) {
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return "", err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kubeVersion()
	if c := ch.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, caps.KubeVersion.Version) {
		return "", fmt.Errorf("chart requires kubeVersion %s, not %s", c, caps.KubeVersion.Version)
	}
	rv, err := chartutil.ToRenderValues(ch, vals, release, caps)
	if err != nil {
		return "", err
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		if path.Base(name) != "NOTES.txt" && !strings.HasPrefix(path.Base(name), "_") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		if strings.TrimSpace(files[name]) == "" {
			continue
		}
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", name, files[name])
	}
	return b.String(), nil
}

// kubeVersion is the Kubernetes version of the API types the manifests are decoded with
// (k8s.io/api v0.N.P is Kubernetes v1.N.P), so that lint's deprecation checks and the
// chart's kubeVersion constraint use the same version as the schema check.
func kubeVersion() *chartutil.KubeVersion {
	v := "v0.0.0"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "k8s.io/api" {
				v = d.Version
			}
		}
	}
	minor, patch, _ := strings.Cut(strings.TrimPrefix(v, "v0."), ".")
	return &chartutil.KubeVersion{Version: "v1." + minor + "." + patch, Major: "1", Minor: minor}
}

// LoadChart loads the chart in dir.
func LoadChart(dir string) (*chart.Chart, error) { return loader.Load(dir) }

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// SplitDocuments splits a YAML stream into its non-empty documents.
func SplitDocuments(stream string) []string {
	var docs []string
	for _, d := range docSeparator.Split(stream, -1) {
		if hasContent(d) {
			docs = append(docs, d)
		}
	}
	return docs
}

// hasContent reports whether a YAML document has anything but comments and blank lines.
func hasContent(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}
