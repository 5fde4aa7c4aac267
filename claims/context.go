package claims

import "context"

// contextKey is the unexported key under which NewContext stores an Identity, so
// that no other package can read or overwrite it by accident.
type contextKey struct{}

// NewContext returns a copy of ctx carrying id, the signed-in user of a request.
// The gateway sets it only after it has verified the session.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// FromContext returns the identity NewContext stored in ctx, and whether there was one.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(contextKey{}).(Identity)
	return id, ok
}
