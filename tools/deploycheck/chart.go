package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/runtime"
)

// everySetting is the example that sets every value, so its gateway container must get
// every setting.
const everySetting = "every-setting.yaml"

// negativeCases are values that must fail to render, with the message the user must see.
// Each is applied on top of examples/standalone.yaml.
var negativeCases = []struct {
	name, values, want string
}{
	{"two replicas without shared secrets", "replicaCount: 2\nsecrets: {existingSecret: ''}",
		"needs a COOKIE_SECRET and a signing key shared by every replica"},
	{"autoscaling without shared secrets", "autoscaling: {enabled: true}\nsecrets: {existingSecret: ''}",
		"needs a COOKIE_SECRET and a signing key shared by every replica"},
	{"two replicas with a cookie secret but no signing key", "replicaCount: 2\nsecrets: {existingSecret: '', cookieSecret: c2VjcmV0}",
		"needs a COOKIE_SECRET and a signing key shared by every replica"},
	{"two replicas on a ReadWriteOnce claim", "replicaCount: 2\npersistence: {enabled: true}",
		"needs persistence.accessModes [ReadWriteMany]"},
	{"unknown mode", "mode: daemonset", "value must be one of 'standalone', 'sidecar', 'embedded'"},
	{"misspelt value", "config: {oidcIsuer: https://idp.example.com}", "oidcIsuer"},
	{"unknown role", "config: {roleMap: {wandb-admins: owner}}", "/config/roleMap/wandb-admins"},
	{"no issuer", "config: {oidcIssuer: ''}", "OIDC_ISSUER is required"},
}

// CheckChart lints and renders the chart in dir with each values file in dir/examples,
// checks the manifests strictly, and checks the values that must not render.
func CheckChart(dir string, settings Settings, logf func(string, ...any)) error {
	examples, err := filepath.Glob(filepath.Join(dir, "examples", "*.yaml"))
	if err != nil || len(examples) == 0 {
		return fmt.Errorf("no values examples in %s/examples", dir)
	}
	var errs []error
	for _, file := range examples {
		name := filepath.Base(file)
		vals, err := chartutil.ReadValuesFile(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		objs, err := lintAndRender(dir, vals)
		if err == nil {
			err = errors.Join(CheckObjects(objs), CheckGateway(objs, settings, allowedEnv))
		}
		if err == nil && name == everySetting {
			if missing := MissingSettings(GatewayEnv(objs), settings); len(missing) > 0 {
				err = fmt.Errorf("the gateway container does not get %s: add them to the chart's values", strings.Join(missing, ", "))
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		logf("ok   chart with %s: %s", name, kinds(objs))
	}
	parent := filepath.Join(dir, "examples", "parent-chart")
	if objs, err := CheckParentChart(parent, dir, settings); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", parent, err))
	} else {
		logf("ok   %s with the chart embedded: %s", parent, kinds(objs))
	}
	base, err := chartutil.ReadValuesFile(filepath.Join(dir, "examples", "standalone.yaml"))
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, c := range negativeCases {
		over, err := chartutil.ReadValues([]byte(c.values))
		if err != nil {
			errs = append(errs, fmt.Errorf("negative case %q: %w", c.name, err))
			continue
		}
		vals := chartutil.CoalesceTables(over.AsMap(), deepCopy(base))
		ch, err := LoadChart(dir)
		if err == nil {
			_, err = Render(ch, vals)
		}
		switch {
		case err == nil:
			errs = append(errs, fmt.Errorf("negative case %q rendered; want the error %q", c.name, c.want))
		case !strings.Contains(err.Error(), c.want):
			errs = append(errs, fmt.Errorf("negative case %q: got error %q, want one containing %q", c.name, err, c.want))
		default:
			logf("ok   chart refuses %s", c.name)
		}
	}
	return errors.Join(errs...)
}

// lintAndRender lints the chart with vals, renders it and decodes the result strictly.
func lintAndRender(dir string, vals chartutil.Values) ([]runtime.Object, error) {
	if err := Lint(dir, vals); err != nil {
		return nil, err
	}
	ch, err := LoadChart(dir)
	if err != nil {
		return nil, err
	}
	manifest, err := Render(ch, vals)
	if err != nil {
		return nil, err
	}
	return DecodeStrict(manifest)
}

// deepCopy copies values through YAML so that coalescing does not change the original.
func deepCopy(v chartutil.Values) map[string]any {
	s, err := v.YAML()
	if err != nil {
		panic(err)
	}
	c, err := chartutil.ReadValues([]byte(s))
	if err != nil {
		panic(err)
	}
	return c.AsMap()
}

// kinds summarises objects as "Deployment, Service, …" for the log.
func kinds(objs []runtime.Object) string {
	var ks []string
	for _, o := range objs {
		ks = append(ks, o.GetObjectKind().GroupVersionKind().Kind)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
