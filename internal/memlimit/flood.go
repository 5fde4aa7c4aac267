package memlimit

import (
	"context"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
)

// FloodConns is how many connections open at once count as a flood: once that many
// have been open, the memory they held is given back to the operating system each
// time the number still open halves, until fewer than FloodConns/8 remain.
const FloodConns = 1000

// Releaser gives memory back to the operating system as a flood of connections ends
// (slow clients cut by the read deadline, a load test, a reconnect storm). Go keeps
// freed memory for reuse and returns it only slowly, so without it the process stays
// at the flood's resident size for minutes; with it, near the size of what is still
// live. Wire ConnState into the http.Server.
type Releaser struct {
	min     int
	release func() // called from ConnState: must not block (FreeOSMemoryLater's does not)

	mu         sync.Mutex
	open, peak int
	next       int // release when the open connections fall to this; 0: no flood under way
}

// NewReleaser returns a Releaser that calls release as a flood of FloodConns
// connections ends. It is called from the server's ConnState hook, so it must return
// at once.
func NewReleaser(release func()) *Releaser {
	return &Releaser{min: FloodConns, release: release}
}

// ConnState counts open connections; it is an http.Server ConnState hook.
func (r *Releaser) ConnState(_ net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		r.mu.Lock()
		r.open++
		if r.open > r.peak {
			r.peak = r.open
			if r.peak >= r.min {
				r.next = r.peak / 2
			}
		}
		r.mu.Unlock()
		return
	case http.StateClosed, http.StateHijacked:
	default: // active and idle, on every request of a kept-alive connection: no lock
		return
	}
	r.mu.Lock()
	r.open--
	fire := r.next > 0 && r.open <= r.next
	if fire {
		r.next /= 2
		if r.next < r.min/8 { // the flood is over: the next release needs a new one
			r.next, r.peak = 0, r.open
		}
	}
	r.mu.Unlock()
	if fire {
		r.release()
	}
}

// FreeOSMemoryLater returns a release function for NewReleaser: each call asks a
// goroutine of its own (ended with ctx) to run debug.FreeOSMemory (twice); calls made while it
// runs are folded into one more run after it, so the last run starts after the last
// call.
func FreeOSMemoryLater(ctx context.Context) func() {
	ask := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-ask:
				// Twice: buffers net/http put back in its sync.Pools survive one
				// collection in the pools' victim cache and go only with the second.
				debug.FreeOSMemory()
				debug.FreeOSMemory()
			}
		}
	}()
	return func() {
		select {
		case ask <- struct{}{}:
		default: // a run is already asked for
		}
	}
}
