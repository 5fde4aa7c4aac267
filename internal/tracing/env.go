package tracing

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The standard variables this package reads itself; the SDK reads the rest (endpoint
// details, headers, timeouts, the batch processor's limits, the sampler, the resource).
const (
	envEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envExporter       = "OTEL_TRACES_EXPORTER"
	envProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envSampler        = "OTEL_TRACES_SAMPLER"
	envSamplerArg     = "OTEL_TRACES_SAMPLER_ARG"
	envSDKDisabled    = "OTEL_SDK_DISABLED"
)

// samplers are the OTEL_TRACES_SAMPLER values the Go SDK implements.
var samplers = []string{"always_on", "always_off", "traceidratio",
	"parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"}

// wanted reads the environment: whether tracing is on, and every problem with the
// variables, each naming the variable and the fix. Tracing is on when an OTLP
// endpoint is set, unless OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true.
func wanted(lookupEnv func(string) (string, bool)) (bool, error) {
	get := func(name string) string {
		v, _ := lookupEnv(name)
		return strings.TrimSpace(v)
	}
	var errs []error
	exporter := strings.ToLower(get(envExporter))
	switch exporter {
	case "", "otlp", "none":
	default:
		errs = append(errs, fmt.Errorf("%s=%q: ssogate exports traces with OTLP over HTTP only: use otlp (the default with an endpoint set) or none", envExporter, get(envExporter)))
	}
	for _, name := range []string{envTracesEndpoint, envEndpoint} {
		if v := get(name); v != "" {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("%s=%q: must be the http:// or https:// URL of the collector's OTLP/HTTP port, e.g. http://otel-collector:4318", name, redacted(v, u)))
			}
		}
	}
	for _, name := range []string{envTracesProtocol, envProtocol} {
		if p := get(name); p != "" && p != "http/protobuf" {
			errs = append(errs, fmt.Errorf("%s=%q: ssogate exports OTLP over HTTP with protobuf: use http/protobuf or leave it unset (point the endpoint at the collector's HTTP port, usually 4318)", name, p))
		}
	}
	if s := strings.ToLower(get(envSampler)); s != "" {
		if !slices.Contains(samplers, s) {
			errs = append(errs, fmt.Errorf("%s=%q: use one of %s", envSampler, get(envSampler), strings.Join(samplers, ", ")))
		}
		if arg := get(envSamplerArg); arg != "" && strings.HasSuffix(s, "traceidratio") {
			if f, err := strconv.ParseFloat(arg, 64); err != nil || f < 0 || f > 1 {
				errs = append(errs, fmt.Errorf("%s=%q: the sampling ratio is a number from 0 to 1, e.g. 0.1 for 10%%", envSamplerArg, arg))
			}
		}
	}
	disabled := strings.EqualFold(get(envSDKDisabled), "true")
	on := (get(envEndpoint) != "" || get(envTracesEndpoint) != "") && exporter != "none" && !disabled
	return on, errors.Join(errs...)
}

// redacted shows an endpoint v (parsed as u, nil when it did not parse) without a
// password it may carry.
func redacted(v string, u *url.URL) string {
	switch {
	case u != nil:
		return u.Redacted()
	case strings.Contains(v, "@"):
		return "(not shown: it may hold a password)"
	}
	return v
}
