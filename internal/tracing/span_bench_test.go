package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkOffPath is what a proxied request pays with tracing off: the session,
// rules and upstream spans' Start and End, and the upstream header injection, on a
// request context like the router's (a few values deep).
func BenchmarkOffPath(b *testing.B) {
	type key int
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	ctx := r.Context()
	for i := range 4 {
		ctx = context.WithValue(ctx, key(i), i)
	}
	h := http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		for _, name := range []string{"session.load", "rules.decide"} {
			_, span := Start(ctx, name)
			span.End()
		}
		_, span := StartClient(ctx, "upstream")
		span.End()
		Inject(ctx, h)
	}
}
