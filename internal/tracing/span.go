package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Start begins a span named name as a child of ctx's span when that span is being
// recorded, and returns ctx unchanged with its own (non-recording) span otherwise:
// without tracing, or in a trace the sampler left out, it costs a context lookup and
// allocates nothing. End the span it returns in both cases.
func Start(ctx context.Context, name string) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(scope).Start(ctx, name)
}

// StartClient is Start for a span that covers a call to another service.
func StartClient(ctx context.Context, name string) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(scope).Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
}

// Event adds an event to ctx's span, when it is being recorded, with outcome and
// reason attributes: the codes of the matching audit line, never an identity or a
// credential. An empty value is left out.
func Event(ctx context.Context, name, outcome, reason string) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 2)
	if outcome != "" {
		attrs = append(attrs, attribute.String("ssogate.outcome", outcome))
	}
	if reason != "" {
		attrs = append(attrs, attribute.String("ssogate.reason", reason))
	}
	span.AddEvent(name, trace.WithAttributes(attrs...))
}

// Fail marks span as failed with a short, fixed description (a reason code, never
// an error's text, which may quote what a client sent).
func Fail(span trace.Span, reason string) {
	if span.IsRecording() {
		span.SetStatus(codes.Error, reason)
	}
}

// idpCallKey keys the name of the IdP call a request makes.
type idpCallKey struct{}

// IdP calls, named on their spans ("idp token") and in the IdP latency metric.
const (
	IdPDiscovery = "discovery"
	IdPJWKS      = "jwks"
	IdPToken     = "token"
	IdPRefresh   = "refresh"
	IdPUserinfo  = "userinfo"
	IdPGraph     = "graph" // Microsoft Graph, for Entra groups
	IdPOther     = "other"
)

// IdPCall returns ctx naming the IdP call made with it, one of the IdP* constants.
func IdPCall(ctx context.Context, call string) context.Context {
	return context.WithValue(ctx, idpCallKey{}, call)
}

// IdPCallFrom returns the IdP call ctx names, or IdPOther.
func IdPCallFrom(ctx context.Context) string {
	if c, ok := ctx.Value(idpCallKey{}).(string); ok {
		return c
	}
	return IdPOther
}
