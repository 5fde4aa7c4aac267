package proxy

import (
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/ssogate/ssogate/internal/tracing"
	"github.com/ssogate/ssogate/session"
)

// endSessionSpan ends the session load's span with what was found: a session, none,
// or a store that failed.
func endSessionSpan(span trace.Span, err error) {
	if !span.IsRecording() {
		return
	}
	result := "found"
	switch {
	case errors.Is(err, session.ErrNoSession):
		result = "none"
	case err != nil:
		result = "error"
		tracing.Fail(span, "session_store_unavailable")
	}
	span.SetAttributes(attribute.String("ssogate.session", result))
	span.End()
}

// endRulesSpan ends the rules decision's span with its verdict and, for a refusal,
// the rule's code (the audit line's reason).
func endRulesSpan(span trace.Span, allowed bool, code string) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attribute.Bool("ssogate.allowed", allowed))
	if !allowed {
		span.SetAttributes(attribute.String("ssogate.reason", code))
	}
	span.End()
}
