package main

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// CheckParentChart renders the application chart in parentDir with the ssogate chart in
// chartDir as its dependency (what `helm dependency build` would put in charts/), and
// checks the result like the ssogate chart's own: the embedding helpers must produce a
// valid, hardened gateway container in the parent's pod.
func CheckParentChart(parentDir, chartDir string, settings Settings) ([]runtime.Object, error) {
	parent, err := LoadChart(parentDir)
	if err != nil {
		return nil, err
	}
	sub, err := LoadChart(chartDir)
	if err != nil {
		return nil, err
	}
	if len(parent.Metadata.Dependencies) != 1 || parent.Metadata.Dependencies[0].Name != sub.Name() {
		return nil, fmt.Errorf("%s: want exactly one dependency, %s", parentDir, sub.Name())
	}
	parent.SetDependencies(sub)
	manifest, err := Render(parent, map[string]any{})
	if err != nil {
		return nil, err
	}
	objs, err := DecodeStrict(manifest)
	if err != nil {
		return nil, err
	}
	return objs, errors.Join(CheckObjects(objs), CheckGateway(objs, settings, allowedEnv))
}
