{{/*
Helpers of the ssogate chart. The sidecar helpers at the end (ssogate.sidecarContainer,
ssogate.sidecarVolumes) can be called from a parent chart that has ssogate as a
dependency, to put the gateway into the parent's own pod:

  containers:
    {{- include "ssogate.sidecarContainer" .Subcharts.ssogate | nindent 4 }}
  volumes:
    {{- include "ssogate.sidecarVolumes" .Subcharts.ssogate | nindent 4 }}

Every helper takes the ssogate chart's root context (.Values, .Release, .Chart).
*/}}

{{- define "ssogate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ssogate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ssogate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "ssogate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "ssogate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ssogate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ssogate.image" -}}
{{- $img := .Values.image }}
{{- if $img.digest }}
{{- printf "%s@%s" $img.repository $img.digest }}
{{- else }}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding the gateway's secrets: the user's existingSecret or the chart's own. */}}
{{- define "ssogate.secretName" -}}
{{- default (include "ssogate.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/*
ssogate.secretKeys: JSON map from each secret the gateway gets (clientSecret, cookieSecret,
signingKey, signingKeyPrevious, sessionStore) to its key in the Secret, listing only the
secrets that are present.
*/}}
{{- define "ssogate.secretKeys" -}}
{{- $s := .Values.secrets }}
{{- $keys := dict }}
{{- if $s.existingSecret }}
{{- range $role, $key := $s.existingSecretKeys }}
{{- if $key }}{{ $_ := set $keys $role $key }}{{ end }}
{{- end }}
{{- else }}
{{- $names := dict "clientSecret" "oidc-client-secret" "cookieSecret" "cookie-secret" "signingKey" "signing-key.pem" "signingKeyPrevious" "signing-key-previous.pem" "sessionStore" "session-store" }}
{{- range $role, $key := $names }}
{{- if index $s $role }}{{ $_ := set $keys $role $key }}{{ end }}
{{- end }}
{{- end }}
{{- toJson $keys }}
{{- end }}

{{/* ssogate.csv: a list or a string, as a comma-separated string. */}}
{{- define "ssogate.csv" -}}
{{- if kindIs "slice" . }}{{ join "," . }}{{ else if . }}{{ . }}{{ end }}
{{- end }}

{{/* ssogate.roleMap: a map group: role as "group=role,…", groups in name order. */}}
{{- define "ssogate.roleMap" -}}
{{- $pairs := list }}
{{- range $group := keys . | sortAlpha }}
{{- $pairs = append $pairs (printf "%s=%s" $group (index $ $group)) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/*
ssogate.envMap: JSON map from variable name to its EnvVar body ({"value": …} or
{"valueFrom": …}). Values left empty keep the gateway's defaults; global.extraEnv and then
extraEnv are applied last and win.
*/}}
{{- define "ssogate.envMap" -}}
{{- $v := .Values }}
{{- $c := $v.config }}
{{- $upstream := $c.upstreamUrl }}
{{- if and (not $upstream) (ne $v.mode "standalone") }}
{{- $upstream = printf "http://127.0.0.1:%v" $v.app.port }}
{{- end }}
{{- $plain := dict
  "OIDC_ISSUER" $c.oidcIssuer
  "OIDC_CLIENT_ID" $c.oidcClientId
  "OIDC_AUTH_METHOD" $c.oidcAuthMethod
  "OIDC_SCOPES" $c.oidcScopes
  "OIDC_GROUPS_CLAIM" $c.oidcGroupsClaim
  "OIDC_USERNAME_CLAIM" $c.oidcUsernameClaim
  "OIDC_LOGOUT_URL" $c.oidcLogoutUrl
  "LOCAL_RESTORE" (ternary "true" "false" (eq (toString $c.localRestore) "true"))
  "UPSTREAM_URL" $upstream
  "PUBLIC_URL" $c.publicUrl
  "LISTEN_ADDR" (printf ":%v" $v.ports.http)
  "OPS_ADDR" (printf ":%v" $v.ports.ops)
  "ALLOWED_GROUPS" (include "ssogate.csv" $c.allowedGroups)
  "ALLOWED_EMAIL_DOMAINS" (include "ssogate.csv" $c.allowedEmailDomains)
  "ALLOWED_TENANTS" (include "ssogate.csv" $c.allowedTenants)
  "INSECURE_ALLOW_UNVERIFIED_EMAIL" (ternary "true" "false" (eq (toString $c.insecureAllowUnverifiedEmail) "true"))
  "OIDC_PROVIDER" $c.oidcProvider
  "MICROSOFT_GRAPH_URL" $c.microsoftGraphUrl
  "ENTRA_GROUP_NAMES" (ternary "true" "false" (eq (toString $c.entraGroupNames) "true"))
  "ROLE_MAP" (include "ssogate.roleMap" (default (dict) $c.roleMap))
  "DEFAULT_ROLE" $c.defaultRole
  "SESSION_STORE" $c.sessionStore
  "REVOCATION_STORE" $c.revocationStore
  "SESSION_LENGTH" $c.sessionLength
  "SESSION_IDLE_TIMEOUT" $c.sessionIdleTimeout
  "REFRESH_INTERVAL" $c.refreshInterval
  "TRUSTED_PROXIES" (include "ssogate.csv" $c.trustedProxies)
  "API_KEY_PASSTHROUGH" (ternary "true" "false" (eq (toString $c.apiKeyPassthrough) "true"))
  "PUBLIC_PATHS" (include "ssogate.csv" $c.publicPaths)
  "ASSERTION_AUDIENCE" $c.assertionAudience
  "ALLOWED_REDIRECT_DOMAINS" (include "ssogate.csv" $c.allowedRedirectDomains)
  "LOG_LEVEL" $c.logLevel
  "LOG_FORMAT" $c.logFormat
  "DATA_DIR" $v.dataDir
}}
{{- $env := dict }}
{{- range $name, $value := $plain }}
{{- if $value }}{{ $_ := set $env $name (dict "value" (toString $value)) }}{{ end }}
{{- end }}
{{- if $v.tls.secretName }}
{{- $_ := set $env "TLS_CERT_FILE" (dict "value" "/etc/ssogate/tls/tls.crt") }}
{{- $_ := set $env "TLS_KEY_FILE" (dict "value" "/etc/ssogate/tls/tls.key") }}
{{- end }}
{{- $keys := include "ssogate.secretKeys" . | fromJson }}
{{- $files := dict "clientSecret" "OIDC_CLIENT_SECRET_FILE" "cookieSecret" "COOKIE_SECRET_FILE" "signingKey" "SIGNING_KEY_FILE" "signingKeyPrevious" "SIGNING_KEY_PREVIOUS_FILE" }}
{{- range $role, $name := $files }}
{{- if hasKey $keys $role }}
{{- $_ := set $env $name (dict "value" (printf "/etc/ssogate/secrets/%s" (index $keys $role))) }}
{{- end }}
{{- end }}
{{- if hasKey $keys "sessionStore" }}
{{- $_ := set $env "SESSION_STORE" (dict "valueFrom" (dict "secretKeyRef" (dict "name" (include "ssogate.secretName" .) "key" $keys.sessionStore))) }}
{{- end }}
{{- range $extra := list $v.global.extraEnv $v.extraEnv }}
{{- if kindIs "map" $extra }}
{{- range $name, $value := $extra }}{{ $_ := set $env $name (dict "value" (toString $value)) }}{{ end }}
{{- else if kindIs "slice" $extra }}
{{- range $e := $extra }}{{ $_ := set $env $e.name (omit $e "name") }}{{ end }}
{{- end }}
{{- end }}
{{- toJson $env }}
{{- end }}

{{/* ssogate.validate: fail rendering, with the fix, on settings that cannot work. */}}
{{- define "ssogate.validate" -}}
{{- $v := .Values }}
{{- if not (has $v.mode (list "standalone" "sidecar" "embedded")) }}
{{- fail (printf "mode=%q: must be standalone, sidecar or embedded" $v.mode) }}
{{- end }}
{{- $env := include "ssogate.envMap" . | fromJson }}
{{- $restore := eq (toString (dig "LOCAL_RESTORE" "value" "" $env)) "true" }}
{{- if and (not $restore) (not $v.persistence.enabled) }}
{{- range $name := list "OIDC_ISSUER" "OIDC_CLIENT_ID" }}
{{- if not (hasKey $env $name) }}
{{- fail (printf "%s is required: set config.%s (or config.localRestore=true to sign in without SSO and configure the IdP on /oidc/settings)" $name (ternary "oidcIssuer" "oidcClientId" (eq $name "OIDC_ISSUER"))) }}
{{- end }}
{{- end }}
{{- end }}
{{- if or (gt (int $v.replicaCount) 1) $v.autoscaling.enabled }}
{{- $cookie := or (hasKey $env "COOKIE_SECRET") (hasKey $env "COOKIE_SECRET_FILE") }}
{{- if not (and $cookie (hasKey $env "SIGNING_KEY_FILE")) }}
{{- fail "more than one replica (replicaCount > 1 or autoscaling.enabled) needs a COOKIE_SECRET and a signing key shared by every replica: set secrets.cookieSecret and secrets.signingKey, or secrets.existingSecret with both keys (secrets.existingSecretKeys). Without them each pod generates its own, and users are signed out whenever a request reaches another pod" }}
{{- end }}
{{- if and $v.persistence.enabled (not $v.persistence.existingClaim) (not (has "ReadWriteMany" $v.persistence.accessModes)) }}
{{- fail "persistence with more than one replica needs persistence.accessModes [ReadWriteMany] (or persistence.existingClaim)" }}
{{- end }}
{{- end }}
{{- end }}

{{/* ssogate.sidecarContainer: the gateway container, as one item of a containers list. */}}
{{- define "ssogate.sidecarContainer" -}}
{{- $v := .Values }}
{{- $env := include "ssogate.envMap" . | fromJson }}
{{- $files := omit (include "ssogate.secretKeys" . | fromJson) "sessionStore" -}}
- name: ssogate
  image: {{ include "ssogate.image" . | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  args: [serve]
  ports:
    - name: sso-http
      containerPort: {{ $v.ports.http }}
      protocol: TCP
    - name: sso-ops
      containerPort: {{ $v.ports.ops }}
      protocol: TCP
  env:
    {{- range $name := keys $env | sortAlpha }}
    - name: {{ $name }}
      {{- toYaml (index $env $name) | nindent 6 }}
    {{- end }}
  {{- with $v.extraEnvFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: ssogate-data
      mountPath: {{ $v.dataDir }}
    {{- if $files }}
    - name: ssogate-secrets
      mountPath: /etc/ssogate/secrets
      readOnly: true
    {{- end }}
    {{- if $v.tls.secretName }}
    - name: ssogate-tls
      mountPath: /etc/ssogate/tls
      readOnly: true
    {{- end }}
    {{- with $v.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  livenessProbe:
    httpGet:
      path: /healthz
      port: sso-ops
    {{- toYaml $v.probes.liveness | nindent 4 }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: sso-ops
    {{- toYaml $v.probes.readiness | nindent 4 }}
  {{- with $v.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* ssogate.sidecarVolumes: the volumes ssogate.sidecarContainer mounts, as list items. */}}
{{- define "ssogate.sidecarVolumes" -}}
{{- $v := .Values }}
{{- $files := omit (include "ssogate.secretKeys" . | fromJson) "sessionStore" -}}
- name: ssogate-data
  {{- if $v.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-data" (include "ssogate.fullname" .)) $v.persistence.existingClaim }}
  {{- else }}
  emptyDir:
    sizeLimit: 64Mi
  {{- end }}
{{- if $files }}
- name: ssogate-secrets
  secret:
    secretName: {{ include "ssogate.secretName" . }}
    # Readable by the gateway's user without an fsGroup; only this container mounts it.
    defaultMode: 0444
    items:
      {{- range $role := keys $files | sortAlpha }}
      - key: {{ index $files $role }}
        path: {{ index $files $role }}
      {{- end }}
{{- end }}
{{- if $v.tls.secretName }}
- name: ssogate-tls
  secret:
    secretName: {{ $v.tls.secretName }}
    defaultMode: 0444
{{- end }}
{{- end }}
