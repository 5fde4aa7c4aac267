package main

import (
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// GatewayContainerName is the name the chart and the manifests give the gateway container.
const GatewayContainerName = "ssogate"

// gatewayPod is a pod template holding the gateway container.
type gatewayPod struct {
	owner     string
	pod       *corev1.PodSpec
	container *corev1.Container
}

// gatewayPods finds the gateway container in every Deployment of objs.
func gatewayPods(objs []runtime.Object) []gatewayPod {
	var pods []gatewayPod
	for _, obj := range objs {
		d, ok := obj.(*appsv1.Deployment)
		if !ok {
			continue
		}
		spec := &d.Spec.Template.Spec
		for i := range spec.Containers {
			if spec.Containers[i].Name == GatewayContainerName {
				pods = append(pods, gatewayPod{owner: "Deployment " + d.Name, pod: spec, container: &spec.Containers[i]})
			}
		}
	}
	return pods
}

// CheckGateway checks what the deployment files promise about the gateway container: it
// exists; it runs as non-root with a read-only root filesystem, no privilege escalation,
// no capabilities and the RuntimeDefault seccomp profile; it is probed on /healthz and
// /readyz; and every variable it gets is a setting the gateway knows, or in allowed.
func CheckGateway(objs []runtime.Object, settings Settings, allowed map[string]string) error {
	pods := gatewayPods(objs)
	if len(pods) == 0 {
		return fmt.Errorf("no Deployment has a container named %q", GatewayContainerName)
	}
	var errs []error
	for _, g := range pods {
		where := fmt.Sprintf("%s, container %s", g.owner, GatewayContainerName)
		for _, e := range checkHardening(g.pod, g.container) {
			errs = append(errs, fmt.Errorf("%s: %w", where, e))
		}
		for path, p := range map[string]*corev1.Probe{"/healthz": g.container.LivenessProbe, "/readyz": g.container.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path {
				errs = append(errs, fmt.Errorf("%s: wants an httpGet %s probe (liveness /healthz, readiness /readyz)", where, path))
			}
		}
		for _, e := range g.container.Env {
			if _, ok := allowed[e.Name]; !settings.Known[e.Name] && !ok {
				errs = append(errs, fmt.Errorf("%s: env %s is not a gateway setting (ssogate --help)", where, e.Name))
			}
		}
	}
	return errors.Join(errs...)
}

func checkHardening(pod *corev1.PodSpec, c *corev1.Container) []error {
	sc := c.SecurityContext
	if sc == nil {
		return []error{errors.New("no securityContext")}
	}
	var errs []error
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		errs = append(errs, errors.New("runAsNonRoot is not true"))
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		errs = append(errs, errors.New("runAsUser is 0"))
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		errs = append(errs, errors.New("readOnlyRootFilesystem is not true"))
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		errs = append(errs, errors.New("allowPrivilegeEscalation is not false"))
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		errs = append(errs, errors.New("capabilities must drop ALL and add none"))
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil && pod.SecurityContext != nil {
		seccomp = pod.SecurityContext.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		errs = append(errs, errors.New("seccompProfile is not RuntimeDefault"))
	}
	return errs
}

// GatewayEnv returns the names of the variables every gateway container gets, merged.
func GatewayEnv(objs []runtime.Object) map[string]bool {
	names := map[string]bool{}
	for _, g := range gatewayPods(objs) {
		for _, e := range g.container.Env {
			names[e.Name] = true
		}
	}
	return names
}

// MissingSettings lists the settings neither set in env nor (for secrets) read from a
// *_FILE variable.
func MissingSettings(env map[string]bool, settings Settings) []string {
	var missing []string
	for _, name := range settings.Base {
		if !env[name] && !env[name+"_FILE"] {
			missing = append(missing, name)
		}
	}
	return missing
}
