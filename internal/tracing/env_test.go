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

func TestOffIsNil(t *testing.T) {
	tr, err := Setup(t.Context(), env(nil), "test")
	if err != nil || tr != nil || tr.On() {
		t.Fatalf("Setup without an endpoint: %v, %v; want nil, nil", tr, err)
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}
