package main

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// checkPod checks a pod spec the way the API server and kubelet would: unique container,
// port and volume names; valid port and env names; mounts of declared volumes; probes on
// declared ports.
func checkPod(pod *corev1.PodSpec) []error {
	var errs []error
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		if volumes[v.Name] {
			errs = append(errs, fmt.Errorf("volume %q declared twice", v.Name))
		}
		volumes[v.Name] = true
	}
	containers := map[string]bool{}
	ports := map[string]bool{}
	for _, c := range pod.Containers {
		if containers[c.Name] {
			errs = append(errs, fmt.Errorf("container %q declared twice", c.Name))
		}
		containers[c.Name] = true
		for _, e := range validation.IsDNS1123Label(c.Name) {
			errs = append(errs, fmt.Errorf("container %q: %s", c.Name, e))
		}
		for _, p := range c.Ports {
			if p.Name == "" {
				continue
			}
			if ports[p.Name] {
				errs = append(errs, fmt.Errorf("port name %q used twice in the pod", p.Name))
			}
			ports[p.Name] = true
			for _, e := range validation.IsValidPortName(p.Name) {
				errs = append(errs, fmt.Errorf("container %s: port name %q: %s", c.Name, p.Name, e))
			}
		}
		env := map[string]bool{}
		for _, e := range c.Env {
			if env[e.Name] {
				errs = append(errs, fmt.Errorf("container %s: env %s set twice", c.Name, e.Name))
			}
			env[e.Name] = true
			for _, msg := range validation.IsEnvVarName(e.Name) {
				errs = append(errs, fmt.Errorf("container %s: env %q: %s", c.Name, e.Name, msg))
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				errs = append(errs, fmt.Errorf("container %s mounts volume %q, which the pod does not declare", c.Name, m.Name))
			}
		}
		for what, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
			if p != nil && p.HTTPGet != nil && !containerHasPort(c, p.HTTPGet.Port.String()) {
				errs = append(errs, fmt.Errorf("container %s: %s probe port %q is not one of its ports", c.Name, what, p.HTTPGet.Port.String()))
			}
		}
	}
	return errs
}

// hasPort reports whether a container of the pod declares the named port (or port is a number).
func hasPort(pod *corev1.PodSpec, port string) bool {
	for _, c := range pod.Containers {
		if containerHasPort(c, port) {
			return true
		}
	}
	return false
}

// containerHasPort reports whether c declares the named port. A number always resolves:
// a probe or Service may use a port the container does not list.
func containerHasPort(c corev1.Container, port string) bool {
	if _, err := strconv.Atoi(port); err == nil {
		return true
	}
	for _, p := range c.Ports {
		if p.Name == port {
			return true
		}
	}
	return false
}
