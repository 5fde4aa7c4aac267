// Package memlimit gives the Go runtime a soft memory limit when the operator set none
// (GOMEMLIMIT): small while the gateway's live memory is small, so that the garbage it
// may keep between collections is bounded, and following the live memory as it grows,
// so that the collector never runs back to back.
//
// With GOGC at 200 a collection runs when the heap reaches three times its live size:
// cheap in CPU, but at 512 connections (about 35 MiB that no collection can free:
// per-connection buffers, goroutine stacks, runtime metadata) the process held 85–90 MiB.
// The limit caps that garbage while the live memory is below Floor/1.25, and never
// leaves the heap less than a quarter of the live memory to grow into beyond it.
package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Floor is the soft limit while the live memory is small (below Floor/1.25). Go's
// memory limit counts heap, stacks and runtime metadata, not the executable's pages.
const Floor = 48 << 20

// limit returns the soft limit for a process whose live memory (what a collection
// cannot free) is live bytes: floor, or live plus a quarter when that is more.
func limit(live uint64, floor int64) int64 {
	if live > math.MaxInt64/5*4 {
		return math.MaxInt64
	}
	return max(floor, int64(live+live/4))
}

// Tuner keeps the soft limit at Floor or the live memory plus a quarter, adjusting it after every
// garbage collection until Stop.
type Tuner struct {
	floor   int64
	stopped atomic.Bool
	samples []metrics.Sample
}

// Metrics the live memory is computed from: the heap that survived the last
// collection, and everything Go counts against the limit that is not heap.
const (
	heapLive     = "/gc/heap/live:bytes"
	total        = "/memory/classes/total:bytes"
	heapObjects  = "/memory/classes/heap/objects:bytes"
	heapFree     = "/memory/classes/heap/free:bytes"
	heapReleased = "/memory/classes/heap/released:bytes"
	heapUnused   = "/memory/classes/heap/unused:bytes"
)

// Start sets the soft limit unless lookup finds GOMEMLIMIT (the operator's value, or
// "off", wins), and keeps it following the live memory. It returns nil when the
// operator's setting stands.
func Start(lookup func(string) (string, bool)) *Tuner {
	return start(lookup, Floor)
}

func start(lookup func(string) (string, bool), floor int64) *Tuner {
	if _, set := lookup("GOMEMLIMIT"); set {
		return nil
	}
	t := &Tuner{floor: floor, samples: []metrics.Sample{
		{Name: heapLive}, {Name: total}, {Name: heapObjects}, {Name: heapFree}, {Name: heapReleased}, {Name: heapUnused},
	}}
	t.adjust()
	t.arm()
	return t
}

// Stop leaves the limit where it is and stops following the live memory.
func (t *Tuner) Stop() {
	if t != nil {
		t.stopped.Store(true)
	}
}

// Current returns the soft limit in force.
func Current() int64 { return debug.SetMemoryLimit(-1) }

// sentinel is an object that only the next collection frees: its cleanup marks the end
// of a cycle. It holds a pointer so that it is never a tiny allocation, whose cleanup
// may not run.
type sentinel struct{ _ *byte }

// arm schedules adjust for the end of the next garbage collection.
func (t *Tuner) arm() {
	runtime.AddCleanup(&sentinel{}, func(t *Tuner) {
		if t.stopped.Load() {
			return
		}
		t.adjust()
		t.arm()
	}, t)
}

// adjust sets the limit from the live memory measured by the last collection. It runs
// on one goroutine at a time (at start, then in the runtime's cleanup goroutine).
func (t *Tuner) adjust() {
	metrics.Read(t.samples)
	v := func(i int) uint64 {
		if t.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return t.samples[i].Value.Uint64()
	}
	heap := v(2) + v(3) + v(4) + v(5)
	var other uint64 // stacks, runtime metadata, profiling buckets
	if v(1) > heap {
		other = v(1) - heap
	}
	debug.SetMemoryLimit(limit(v(0)+other, t.floor))
}
