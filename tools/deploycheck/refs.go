package main

import (
	"errors"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
)

// set is a rendered set of objects, by kind.
type set struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	secrets     map[string]*corev1.Secret
	claims      map[string]bool
	monitors    []*monitoringv1.ServiceMonitor
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	pdbs        []*policyv1.PodDisruptionBudget
}

// CheckObjects runs the checks the API server and the kubelet would make when the objects
// are created and their pods start, and that a strict decode cannot: valid names and
// labels, selectors that select something, Service and ServiceMonitor ports that exist,
// volume mounts with a volume, probes on a declared port, unique env names, and keys of
// rendered Secrets that exist. Secrets and claims not in objs are taken to exist.
func CheckObjects(objs []runtime.Object) error {
	s := set{secrets: map[string]*corev1.Secret{}, claims: map[string]bool{}}
	var errs []error
	for _, obj := range objs {
		m, ok := obj.(metav1.Object)
		if !ok {
			errs = append(errs, fmt.Errorf("%T has no metadata", obj))
			continue
		}
		errs = append(errs, checkMeta(obj, m)...)
		switch o := obj.(type) {
		case *appsv1.Deployment:
			s.deployments = append(s.deployments, o)
		case *corev1.Service:
			s.services = append(s.services, o)
		case *corev1.Secret:
			s.secrets[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			s.claims[o.Name] = true
		case *monitoringv1.ServiceMonitor:
			s.monitors = append(s.monitors, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			s.hpas = append(s.hpas, o)
		case *policyv1.PodDisruptionBudget:
			s.pdbs = append(s.pdbs, o)
		}
	}
	for _, d := range s.deployments {
		errs = append(errs, s.checkDeployment(d)...)
	}
	for _, svc := range s.services {
		errs = append(errs, s.checkService(svc)...)
	}
	for _, sm := range s.monitors {
		errs = append(errs, s.checkMonitor(sm)...)
	}
	for _, h := range s.hpas {
		errs = append(errs, s.checkHPA(h)...)
	}
	for _, p := range s.pdbs {
		if p.Spec.Selector == nil || len(s.selectedPods(p.Spec.Selector.MatchLabels)) == 0 {
			errs = append(errs, fmt.Errorf("poddisruptionbudget/%s selects no pods of these manifests", p.Name))
		}
	}
	return errors.Join(errs...)
}

func checkMeta(obj runtime.Object, m metav1.Object) []error {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	var errs []error
	nameErrs := validation.IsDNS1123Subdomain(m.GetName())
	if kind == "Service" {
		nameErrs = validation.IsDNS1035Label(m.GetName())
	}
	for _, e := range nameErrs {
		errs = append(errs, fmt.Errorf("%s %q: name: %s", kind, m.GetName(), e))
	}
	for k, v := range m.GetLabels() {
		for _, e := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
			errs = append(errs, fmt.Errorf("%s %s: label %s=%s: %s", kind, m.GetName(), k, v, e))
		}
	}
	return errs
}

func (s set) checkDeployment(d *appsv1.Deployment) []error {
	var errs []error
	if d.Spec.Selector == nil || !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		errs = append(errs, fmt.Errorf("deployment/%s: selector does not match the pod template's labels", d.Name))
	}
	for _, e := range checkPod(&d.Spec.Template.Spec) {
		errs = append(errs, fmt.Errorf("deployment/%s: %w", d.Name, e))
	}
	for _, v := range d.Spec.Template.Spec.Volumes {
		errs = append(errs, s.checkVolume(d.Name, v)...)
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil {
				errs = append(errs, s.checkSecretKey(d.Name, r.SecretKeyRef.Name, r.SecretKeyRef.Key)...)
			}
		}
	}
	return errs
}

func (s set) checkVolume(owner string, v corev1.Volume) []error {
	var errs []error
	if sv := v.Secret; sv != nil {
		for _, item := range sv.Items {
			errs = append(errs, s.checkSecretKey(owner, sv.SecretName, item.Key)...)
		}
	}
	return errs
}

// checkSecretKey fails when the Secret is among the manifests but lacks the key.
func (s set) checkSecretKey(owner, name, key string) []error {
	sec, ok := s.secrets[name]
	if !ok {
		return nil
	}
	if _, ok := sec.Data[key]; ok {
		return nil
	}
	if _, ok := sec.StringData[key]; ok {
		return nil
	}
	return []error{fmt.Errorf("%s uses key %q of Secret %s, which does not have it", owner, key, name)}
}

func (s set) checkService(svc *corev1.Service) []error {
	pods := s.selectedPods(svc.Spec.Selector)
	if len(pods) == 0 {
		return []error{fmt.Errorf("service/%s selects no pods of these manifests", svc.Name)}
	}
	var errs []error
	for _, p := range svc.Spec.Ports {
		for _, pod := range pods {
			if !hasPort(pod, p.TargetPort.String()) {
				errs = append(errs, fmt.Errorf("service/%s: port %s targets %q, which the selected pods do not declare", svc.Name, p.Name, p.TargetPort.String()))
			}
		}
	}
	return errs
}

func (s set) checkMonitor(sm *monitoringv1.ServiceMonitor) []error {
	var matched []*corev1.Service
	for _, svc := range s.services {
		if selects(sm.Spec.Selector.MatchLabels, svc.Labels) {
			matched = append(matched, svc)
		}
	}
	if len(matched) == 0 {
		return []error{fmt.Errorf("servicemonitor/%s selects no Service of these manifests", sm.Name)}
	}
	var errs []error
	for _, ep := range sm.Spec.Endpoints {
		for _, svc := range matched {
			found := false
			for _, p := range svc.Spec.Ports {
				found = found || p.Name == ep.Port
			}
			if !found {
				errs = append(errs, fmt.Errorf("servicemonitor/%s: service/%s has no port named %q", sm.Name, svc.Name, ep.Port))
			}
		}
	}
	return errs
}

func (s set) checkHPA(h *autoscalingv2.HorizontalPodAutoscaler) []error {
	for _, d := range s.deployments {
		if h.Spec.ScaleTargetRef.Kind == "Deployment" && d.Name == h.Spec.ScaleTargetRef.Name {
			if d.Spec.Replicas != nil {
				return []error{fmt.Errorf("deployment/%s sets replicas although horizontalpodautoscaler/%s scales it", d.Name, h.Name)}
			}
			return nil
		}
	}
	return []error{fmt.Errorf("horizontalpodautoscaler/%s targets %s %s, which is not among these manifests", h.Name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)}
}

// selectedPods returns the pod specs of the Deployments whose pod labels the selector matches.
func (s set) selectedPods(selector map[string]string) []*corev1.PodSpec {
	var pods []*corev1.PodSpec
	for _, d := range s.deployments {
		if selects(selector, d.Spec.Template.Labels) {
			pods = append(pods, &d.Spec.Template.Spec)
		}
	}
	return pods
}

// selects reports whether a non-empty equality selector matches the labels.
func selects(selector, podLabels map[string]string) bool {
	return len(selector) > 0 && labels.SelectorFromSet(selector).Matches(labels.Set(podLabels))
}
