package h1

import (
	"sync"
	"time"
)

// pool keeps idle connections, the most recently used first out: under steady load
// the same few stay warm, and the rest age out.
type pool struct {
	mu        sync.Mutex
	idle      []*conn       // oldest first
	max       int           // idle connections kept at most
	timeout   time.Duration // how long one may stay idle
	lastSweep time.Time
}

// get returns the most recently used idle connection that has not timed out and
// that the upstream has not closed or written on, or nil.
func (p *pool) get(now time.Time) *conn {
	for {
		c := p.pop()
		if c == nil {
			return nil
		}
		if now.Sub(c.idle) < p.timeout && stillIdle(c.nc) {
			return c
		}
		c.close()
	}
}

func (p *pool) pop() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	c := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	return c
}

// put keeps c for the next request, unless the pool is full; now and then it
// closes the connections idle for longer than the timeout.
func (p *pool) put(c *conn, now time.Time) {
	c.idle = now
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.lastSweep) > p.timeout/4 {
		p.lastSweep = now
		p.sweep(now)
	}
	if len(p.idle) >= p.max {
		c.close()
		return
	}
	p.idle = append(p.idle, c)
}

// sweep closes the connections idle for longer than the timeout; they are the
// oldest, at the front.
func (p *pool) sweep(now time.Time) {
	n := 0
	for n < len(p.idle) && now.Sub(p.idle[n].idle) >= p.timeout {
		p.idle[n].close()
		n++
	}
	if n > 0 {
		kept := copy(p.idle, p.idle[n:])
		clear(p.idle[kept:])
		p.idle = p.idle[:kept]
	}
}

func (p *pool) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		c.close()
	}
	clear(p.idle)
	p.idle = p.idle[:0]
}
