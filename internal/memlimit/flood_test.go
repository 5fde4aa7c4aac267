package memlimit

import (
	"net/http"
	"testing"
)

// TestReleaserFiresAsAFloodEnds: memory is given back each time the connections of a
// flood of FloodConns or more halve, until fewer than FloodConns/8 remain; never for
// ordinary traffic, and not again until another flood.
func TestReleaserFiresAsAFloodEnds(t *testing.T) {
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

	open(3200)
	end(1599, http.StateClosed)
	want(0, "a flood of 3200 with 1601 still open")
	end(1, http.StateHijacked) // a websocket leaving counts as gone too
	want(1, "the flood halved (1600 open)")
	end(800, http.StateClosed)
	want(2, "halved again (800 open)")
	end(400, http.StateClosed)
	want(3, "400 open")
	end(200, http.StateClosed)
	want(4, "200 open")
	r.ConnState(nil, http.StateActive)
	r.ConnState(nil, http.StateIdle)
	end(200, http.StateClosed)
	want(4, "the rest gone (fewer than FloodConns/8 left at the last release)")

	open(FloodConns)
	end(FloodConns/2, http.StateClosed)
	want(5, "a second flood halved")
}
