// Package tracing is the gateway's OpenTelemetry tracing: an OTLP/HTTP exporter set up
// from the standard OTEL_* variables, the middleware that continues an incoming W3C
// traceparent, an instrumented transport for calls to the identity provider, and the
// small helpers other packages start their spans with. Tracing is off unless an OTLP
// endpoint is set; then nothing here is on a request's path at all.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// ServiceName is the service.name of the gateway's spans unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES names another.
const ServiceName = "ssogate"

// scope is the instrumentation scope of the spans this module starts itself.
const scope = "github.com/ssogate/ssogate"

// Tracing is the process's tracing. The zero value, and a nil *Tracing, are off: every
// method then returns what it was given.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	propagator propagation.TraceContext // W3C traceparent and tracestate; baggage passes through untouched
}

// Check reports every problem with the OTEL_* variables tracing reads itself, each
// naming the variable and the fix, without starting anything.
func Check(lookupEnv func(string) (string, bool)) error {
	_, err := wanted(lookupEnv)
	return err
}

// Setup starts tracing when the environment asks for it (an OTLP endpoint set) and
// returns nil, at no cost, when it does not. The exporter, sampler and resource are
// the SDK's, configured by the SDK from the process environment; lookupEnv is only
// for deciding whether tracing is on and for checking the values the SDK would
// otherwise ignore with a log line.
func Setup(ctx context.Context, lookupEnv func(string) (string, bool), version string) (*Tracing, error) {
	on, err := wanted(lookupEnv)
	if err != nil || !on {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	// Later sources win: the defaults, then OTEL_RESOURCE_ATTRIBUTES and
	// OTEL_SERVICE_NAME as the specification orders them.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(ServiceName), semconv.ServiceVersion(version)),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("tracing: OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	return &Tracing{
		provider:   sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)),
		propagator: propagation.TraceContext{},
	}, nil
}

// On reports whether spans are being recorded and exported.
func (t *Tracing) On() bool { return t != nil }

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// Handler returns next wrapped in a server span that continues the request's W3C
// traceparent. name names the span from the request (its method and route class,
// never the raw path, so names stay few); the span's url.path has no query string.
func (t *Tracing) Handler(next http.Handler, name func(*http.Request) string) http.Handler {
	if t == nil {
		return next
	}
	return otelhttp.NewHandler(next, ServiceName,
		otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return name(r) }),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()))
}

// Transport returns base wrapped in client spans, one per call, named after the
// call the caller named with IdPCall ("idp token"). Use it for the identity
// provider's client only: the spans record the full URL, and the IdP's URLs carry
// no credentials.
func (t *Tracing) Transport(base http.RoundTripper) http.RoundTripper {
	if t == nil {
		return base
	}
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "idp " + IdPCallFrom(r.Context()) }),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()))
}

// Inject writes ctx's trace context into h (traceparent, tracestate), replacing what
// the client sent, when ctx carries a span: the upstream continues the same trace.
// Without tracing there is no span and h stays as the client sent it.
func Inject(ctx context.Context, h http.Header) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	h.Del("Traceparent")
	h.Del("Tracestate")
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(h))
}

// LogErrors sends the SDK's errors (a collector that cannot be reached, spans
// dropped) to logger. The SDK reports them through one process-wide handler, so call
// it once, from main.
func (t *Tracing) LogErrors(logger *slog.Logger) {
	if t == nil {
		return
	}
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing: exporting spans failed", "error", err.Error())
	}))
}
