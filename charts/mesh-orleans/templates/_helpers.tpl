{{- define "mesh-orleans.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mesh-orleans.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mesh-orleans.labels" -}}
app.kubernetes.io/name: {{ include "mesh-orleans.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "mesh-orleans.selector" -}}
app.kubernetes.io/name: {{ include "mesh-orleans.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mesh-orleans.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mesh-orleans.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Redis address silos and frontends are given: the chart's own Redis, or the one named. */}}
{{- define "mesh-orleans.redis" -}}
{{- if .Values.redis.address -}}
{{- .Values.redis.address -}}
{{- else if .Values.redis.deploy -}}
{{- printf "%s-redis:6379" (include "mesh-orleans.fullname" .) -}}
{{- else -}}
{{- fail "redis.address is required when redis.deploy is false" -}}
{{- end -}}
{{- end -}}

{{- define "mesh-orleans.image" -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
