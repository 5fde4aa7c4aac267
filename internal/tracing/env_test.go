package tracing

import (
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestWanted(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		on   bool
	}{
		{"nothing set", nil, false},
		{"endpoint", map[string]string{envEndpoint: "http://127.0.0.1:4318"}, true},
		{"traces endpoint", map[string]string{envTracesEndpoint: "http://127.0.0.1:4318/v1/traces"}, true},
		{"exporter none", map[string]string{envEndpoint: "http://127.0.0.1:4318", envExporter: "none"}, false},
		{"sdk disabled", map[string]string{envEndpoint: "http://127.0.0.1:4318", envSDKDisabled: "true"}, false},
		{"otlp without endpoint", map[string]string{envExporter: "otlp"}, false},
		{"ratio sampler", map[string]string{envEndpoint: "http://x:4318", envSampler: "parentbased_traceidratio", envSamplerArg: "0.1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			on, err := wanted(env(tc.env))
			if err != nil || on != tc.on {
				t.Fatalf("wanted: on=%v err=%v, want on=%v", on, err, tc.on)
			}
		})
	}
}

func TestWantedReportsEveryProblemByName(t *testing.T) {
	_, err := wanted(env(map[string]string{
		envEndpoint: "http://x:4318", envExporter: "jaeger", envProtocol: "grpc",
		envSampler: "sometimes", envSamplerArg: "0.5",
	}))
	if err == nil {
		t.Fatal("no error for a wrong exporter, protocol and sampler")
	}
	for _, want := range []string{`OTEL_TRACES_EXPORTER="jaeger"`, `OTEL_EXPORTER_OTLP_PROTOCOL="grpc"`, "http/protobuf", `OTEL_TRACES_SAMPLER="sometimes"`, "parentbased_traceidratio"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	_, err = wanted(env(map[string]string{envEndpoint: "http://x:4318", envSampler: "traceidratio", envSamplerArg: "10%"}))
	if err == nil || !strings.Contains(err.Error(), `OTEL_TRACES_SAMPLER_ARG="10%"`) {
		t.Fatalf("a ratio of 10%% is not reported by name: %v", err)
	}
}

// TestWantedRefusesEndpointsThatAreNotURLs: the exporter would take a bare host or
// another scheme and fail at every export; they are refused at start-up instead.
func TestWantedRefusesEndpointsThatAreNotURLs(t *testing.T) {
	for _, tc := range []struct{ name, value, shown string }{
		{envEndpoint, "otel-collector:4318", "otel-collector:4318"},
		{envEndpoint, "nonsense", "nonsense"},
		{envTracesEndpoint, "grpc://collector:4317", "grpc://collector:4317"},
		{envEndpoint, "https://user:hunter2@collector/%zz", "(not shown: it may hold a password)"},
		{envTracesEndpoint, "http:///v1/traces", "http:///v1/traces"},
	} {
		_, err := wanted(env(map[string]string{tc.name: tc.value}))
		want := tc.name + `="` + tc.shown + `": must be the http:// or https:// URL of the collector's OTLP/HTTP port`
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s=%s: got %v, want %s", tc.name, tc.value, err, want)
		}
	}
}

func TestOffIsNil(t *testing.T) {
	tr, err := Setup(t.Context(), env(nil), "test")
	if err != nil || tr != nil || tr.On() {
		t.Fatalf("Setup without an endpoint: %v, %v; want nil, nil", tr, err)
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}
