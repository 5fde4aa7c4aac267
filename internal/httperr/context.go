package httperr

import "context"

type ctxKey struct{}

// RequestInfo is what a server keeps about one request in its context. It is one
// value so that a request carries everything in one context copy; the gateway's own
// type adds what only it needs.
type RequestInfo interface {
	RequestID() string
}

// NewContext returns ctx carrying info, for RequestID and InfoFrom.
func NewContext(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// InfoFrom returns the info NewContext put in ctx, or nil.
func InfoFrom(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(ctxKey{}).(RequestInfo)
	return info
}

// RequestID returns the ID of the request ctx belongs to, "" when it has none.
func RequestID(ctx context.Context) string {
	if info := InfoFrom(ctx); info != nil {
		return info.RequestID()
	}
	return ""
}
