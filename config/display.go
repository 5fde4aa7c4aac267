package config

import (
	"fmt"
	"log/slog"
	"strings"
)

// Setting is one setting as an operator sees it: its value written as it would be in
// the environment, secrets and passwords in URLs hidden, and where it came from.
type Setting struct {
	Name    string // the variable, e.g. "OIDC_ISSUER"
	Value   string // the value, "REDACTED" for a set secret
	Source  Source // where the value came from; "" for a Config not made by Load
	Secret  bool   // the value is a secret
	Savable bool   // the settings page may save it
}

// Settings lists every setting in the order Usage documents them, for the settings
// page and for logs.
func (c Config) Settings() []Setting {
	defs := specs()
	out := make([]Setting, 0, len(defs))
	for _, d := range defs {
		out = append(out, Setting{
			Name:    d.name,
			Value:   d.bind.show(&c),
			Source:  c.Sources[d.name],
			Secret:  d.secret,
			Savable: d.savable,
		})
	}
	return out
}

// String writes every setting as NAME="value", secrets hidden, so that fmt never
// prints one.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("config.Config{")
	for i, s := range c.Settings() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", s.Name, s.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// GoString is String, so that %#v hides secrets too.
func (c Config) GoString() string { return c.String() }

// LogValue logs every setting by name, secrets hidden.
func (c Config) LogValue() slog.Value {
	settings := c.Settings()
	attrs := make([]slog.Attr, 0, len(settings))
	for _, s := range settings {
		attrs = append(attrs, slog.String(s.Name, s.Value))
	}
	return slog.GroupValue(attrs...)
}

// usageIntro opens the help text.
const usageIntro = `Usage: ssogate [serve] [--name=value ...]

ssogate signs users in with an OpenID Connect identity provider and forwards their
requests to the application behind it with identity headers and a signed assertion.

Every setting is an environment variable and a flag of the same name in lower case
with dashes: OIDC_ISSUER is --oidc-issuer. Precedence, highest first: settings saved on
the settings page (DATA_DIR/settings.json), flags, environment, defaults. An empty
environment variable counts as unset. Booleans take true/false, 1/0 or yes/no; a
boolean flag alone (--local-restore) means true. Durations are written like 720h, 90m.
Every problem in a configuration is reported at once and ssogate exits non-zero.

Settings:
`

// Usage documents every setting: its variable and flag, meaning, default and an
// example. It is what "ssogate --help" prints.
func Usage() string {
	var b strings.Builder
	b.WriteString(usageIntro)
	for _, d := range specs() {
		fmt.Fprintf(&b, "\n  %s, --%s\n", d.name, flagName(d.name))
		if d.secret {
			fmt.Fprintf(&b, "  %s_FILE, --%s-file  (read the value from this file)\n", d.name, flagName(d.name))
		}
		for _, a := range d.aliases {
			fmt.Fprintf(&b, "  %s  (accepted as well)\n", a)
		}
		wrap(&b, d.usage)
		def := d.def
		if d.defHelp != "" {
			def = d.defHelp
		}
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(&b, "      Default: %s\n", def)
		fmt.Fprintf(&b, "      Example: %s\n", d.example)
		if d.savable {
			b.WriteString("      Can be changed on the settings page (/oidc/settings).\n")
		}
	}
	b.WriteString("\nTracing (OpenTelemetry's standard variables, environment only; docs/tracing.md):\n\n")
	for _, name := range TracingVariables() {
		fmt.Fprintf(&b, "  %s  (environment only)\n", name)
	}
	wrap(&b, "Tracing is off, at no cost, unless an OTLP endpoint is set. Spans go over OTLP/HTTP (http/protobuf) "+
		"to $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, or to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given. "+
		"OTEL_TRACES_EXPORTER=none turns tracing off; OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG choose the sampler "+
		"(default parentbased_always_on); OTEL_SERVICE_NAME (default ssogate) and OTEL_RESOURCE_ATTRIBUTES describe the service. "+
		"The SDK's other OTEL_EXPORTER_OTLP_* and OTEL_BSP_* variables work as the specification says.")
	b.WriteString("      Default: off; service name ssogate\n")
	b.WriteString("      Example: OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318 OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1\n")
	return b.String()
}

// TracingVariables are the OpenTelemetry variables the gateway documents. They are
// not settings of Config: the tracing package and the OpenTelemetry SDK read them
// from the environment.
func TracingVariables() []string {
	return []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS",
		"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_CERTIFICATE",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_TRACES_EXPORTER",
		"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SDK_DISABLED",
	}
}

// wrap writes text indented and wrapped at 88 columns.
func wrap(b *strings.Builder, text string) {
	const indent, width = "      ", 88
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	b.WriteString(line + "\n")
}
