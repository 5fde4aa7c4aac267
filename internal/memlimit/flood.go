package memlimit

import (
	"net"
	"net/http"
	"sync"
)

// FloodConns is how many connections open at once count as a flood: when that many
// have been open and three quarters of them are gone again, the memory they held is
// given back to the operating system at once.
const FloodConns = 1000

// Releaser gives memory back to the operating system when a flood of connections has
// ended (slow clients cut by the read deadline, a load test, a reconnect storm). Go
// keeps freed memory for reuse and returns it only slowly, so without it the process
// stays at the flood's resident size for minutes; with it, at the size of what is
// still live. Wire ConnState into the http.Server.
type Releaser struct {
	min     int
	release func() // called from ConnState: must not block (start a goroutine)

	mu         sync.Mutex
	open, peak int
}

// NewReleaser returns a Releaser that calls release once a flood of FloodConns
// connections has ended. It is called from the server's ConnState hook, so it must
// return at once: the gateway's starts debug.FreeOSMemory on a goroutine.
func NewReleaser(release func()) *Releaser {
	return &Releaser{min: FloodConns, release: release}
}

// ConnState counts open connections; it is an http.Server ConnState hook.
func (r *Releaser) ConnState(_ net.Conn, s http.ConnState) {
	r.mu.Lock()
	switch s {
	case http.StateNew:
		r.open++
		r.peak = max(r.peak, r.open)
		r.mu.Unlock()
		return
	case http.StateClosed, http.StateHijacked:
		r.open--
	default:
		r.mu.Unlock()
		return
	}
	ended := r.peak >= r.min && r.open <= r.peak/4
	if ended {
		r.peak = r.open // the next release needs a new flood
	}
	r.mu.Unlock()
	if ended {
		r.release()
	}
}
