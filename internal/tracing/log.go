package tracing

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// LogHandler returns next adding trace_id and span_id to every line logged with a
// context whose span is sampled, so a log line leads to its trace and back. Without
// tracing it returns next itself.
func (t *Tracing) LogHandler(next slog.Handler) slog.Handler {
	if t == nil {
		return next
	}
	return traceLogHandler{next}
}

type traceLogHandler struct{ slog.Handler }

// Handle adds the span's IDs, then passes the record on.
func (h traceLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h traceLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceLogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h traceLogHandler) WithGroup(name string) slog.Handler {
	return traceLogHandler{h.Handler.WithGroup(name)}
}

// Sampled reports whether ctx carries a sampled span, whose IDs LogHandler adds to
// what is logged with ctx. Without tracing it is false.
func (t *Tracing) Sampled(ctx context.Context) bool {
	return t != nil && trace.SpanContextFromContext(ctx).IsSampled()
}
