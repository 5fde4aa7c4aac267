package main

import (
	"strings"
	"testing"
)

// goodManifests is a small valid set: a gateway Deployment, its Service and Secret, an
// HPA, a PDB and a ServiceMonitor. Each case below breaks one thing in it.
const goodManifests = `
apiVersion: v1
kind: Secret
metadata: {name: gw}
data: {cookie-secret: c2VjcmV0}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gw, labels: {app: gw}}
spec:
  selector: {matchLabels: {app: gw}}
  template:
    metadata: {labels: {app: gw}}
    spec:
      containers:
        - name: ssogate
          image: ssogate
          ports: [{name: sso-http, containerPort: 4180}, {name: sso-ops, containerPort: 9180}]
          env: [{name: OIDC_ISSUER, value: "https://idp"}, {name: COOKIE_SECRET_FILE, value: /s/cookie-secret}]
          volumeMounts: [{name: secrets, mountPath: /s}]
          livenessProbe: {httpGet: {path: /healthz, port: sso-ops}}
          readinessProbe: {httpGet: {path: /readyz, port: sso-ops}}
          securityContext:
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
            seccompProfile: {type: RuntimeDefault}
      volumes:
        - name: secrets
          secret: {secretName: gw, items: [{key: cookie-secret, path: cookie-secret}]}
---
apiVersion: v1
kind: Service
metadata: {name: gw, labels: {app: gw}}
spec:
  selector: {app: gw}
  ports: [{name: http, port: 80, targetPort: sso-http}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: gw}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gw}
  maxReplicas: 3
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: gw}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: gw}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: gw}
spec:
  selector: {matchLabels: {app: gw}}
  endpoints: [{port: http}]
`

var testSettings = Settings{
	Base:  []string{"OIDC_ISSUER", "COOKIE_SECRET"},
	Known: map[string]bool{"OIDC_ISSUER": true, "COOKIE_SECRET": true, "COOKIE_SECRET_FILE": true},
}

// checkAll runs every manifest check on a stream, as CheckManifestFile does.
func checkAll(stream string) error {
	objs, err := DecodeStrict(stream)
	if err != nil {
		return err
	}
	if err := CheckObjects(objs); err != nil {
		return err
	}
	return CheckGateway(objs, testSettings, allowedEnv)
}

func TestGoodManifestsPass(t *testing.T) {
	if err := checkAll(goodManifests); err != nil {
		t.Fatalf("checks of the valid manifests: %v", err)
	}
}

func TestBrokenManifestsFail(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown field", "minAvailable: 1", "minAvailable: 1\n  minAvaliable: 2", "unknown field"},
		{"unknown field in a ServiceMonitor", "endpoints: [{port: http}]", "endpoints: [{port: http, intervall: 30s}]", "unknown field"},
		{"wrong type", "maxReplicas: 3", "maxReplicas: three", "maxReplicas"},
		{"unknown kind", "kind: PodDisruptionBudget", "kind: PodDisruptionBudgets", "no kind"},
		{"duplicate field", "  maxReplicas: 3", "  maxReplicas: 3\n  maxReplicas: 4", "maxReplicas"},
		{"Service targets an undeclared port", "targetPort: sso-http", "targetPort: http", `targets "http"`},
		{"Service selects nothing", "selector: {app: gw}", "selector: {app: other}", "selects no pods"},
		{"selector misses the template", "selector: {matchLabels: {app: gw}}\n  template", "selector: {matchLabels: {app: x}}\n  template", "selector does not match"},
		{"mount without a volume", "volumeMounts: [{name: secrets", "volumeMounts: [{name: secret", "does not declare"},
		{"missing Secret key", "key: cookie-secret,", "key: cookie,", `key "cookie"`},
		{"probe on an undeclared port", "port: sso-ops}}\n          readinessProbe", "port: ops}}\n          readinessProbe", "liveness probe port"},
		{"port name too long", "name: sso-http,", "name: ssogate-public-http,", "port name"},
		{"env set twice", `{name: COOKIE_SECRET_FILE, value: /s/cookie-secret}]`, `{name: COOKIE_SECRET_FILE, value: /s/cookie-secret}, {name: OIDC_ISSUER, value: x}]`, "set twice"},
		{"HPA and fixed replicas", "  selector: {matchLabels: {app: gw}}\n  template", "  replicas: 2\n  selector: {matchLabels: {app: gw}}\n  template", "sets replicas"},
		{"ServiceMonitor port missing", "endpoints: [{port: http}]", "endpoints: [{port: metrics}]", `no port named "metrics"`},
		{"invalid label", "labels: {app: gw}}\nspec:\n  selector: {app", "labels: {app: gw, bad/key/x: y}}\nspec:\n  selector: {app", "label"},
		{"writable root filesystem", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem"},
		{"capabilities kept", "capabilities: {drop: [ALL]}", "capabilities: {drop: [NET_RAW]}", "drop ALL"},
		{"may run as root", "runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot"},
		{"no seccomp profile", "seccompProfile: {type: RuntimeDefault}", "seccompProfile: {type: Unconfined}", "seccompProfile"},
		{"no readiness probe", "readinessProbe: {httpGet: {path: /readyz", "readinessProbe: {httpGet: {path: /healthz", "/readyz"},
		{"unknown setting", "{name: OIDC_ISSUER,", "{name: OIDC_ISSUR,", "OIDC_ISSUR is not a gateway setting"},
		{"no gateway container", "- name: ssogate", "- name: gateway", `container named "ssogate"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(goodManifests, c.old) {
				t.Fatalf("test bug: %q is not in the manifests", c.old)
			}
			err := checkAll(strings.Replace(goodManifests, c.old, c.new, 1))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestMissingSettings(t *testing.T) {
	s := Settings{Base: []string{"OIDC_ISSUER", "COOKIE_SECRET", "LOG_LEVEL"}}
	got := MissingSettings(map[string]bool{"OIDC_ISSUER": true, "COOKIE_SECRET_FILE": true}, s)
	if len(got) != 1 || got[0] != "LOG_LEVEL" {
		t.Errorf("MissingSettings = %v, want [LOG_LEVEL]", got)
	}
}
