package memlimit

import (
	"net/http"
	"testing"
)

// TestReleaserFiresOnceAFloodHasEnded: memory is given back once, when a flood of
// FloodConns connections is three quarters gone; not for ordinary traffic, and not
// again until another flood.
func TestReleaserFiresOnceAFloodHasEnded(t *testing.T) {
	released := 0
	r := NewReleaser(func() { released++ })
	open := func(n int) {
		for range n {
			r.ConnState(nil, http.StateNew)
		}
	}
	end := func(n int, s http.ConnState) {
		for range n {
			r.ConnState(nil, s)
		}
	}
	want := func(n int, when string) {
		t.Helper()
		if released != n {
			t.Fatalf("%s: released %d times, want %d", when, released, n)
		}
	}

	open(FloodConns - 1)
	end(FloodConns-1, http.StateClosed)
	want(0, "ordinary traffic (one connection short of a flood) ended")

	open(FloodConns * 3)
	end(FloodConns*3*3/4-1, http.StateClosed)
	want(0, "a flood with just over a quarter still open")
	end(1, http.StateHijacked) // a websocket leaving counts as gone too
	want(1, "a flood three quarters gone")
	end(FloodConns*3/4, http.StateClosed)
	r.ConnState(nil, http.StateActive)
	r.ConnState(nil, http.StateIdle)
	want(1, "the rest of the same flood gone")

	open(FloodConns)
	end(FloodConns, http.StateClosed)
	want(2, "a second flood ended")
}
