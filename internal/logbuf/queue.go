package logbuf

import "sync"

const (
	// maxQueued is how many values a Queue holds before it encodes them.
	maxQueued = 256
	// maxQueuedBytes bounds the memory the values point to (by their size
	// function): a client's long paths make a queue encode early, not hold more.
	maxQueuedBytes = 256 << 10
)

// Queue holds values for a Writer, to be encoded in batches by a function that logs
// each through a handler writing to that Writer. Adding a value costs a lock and a
// copy; encoding many in one loop keeps the encoder's code and data in the
// processor's caches, where encoding each on its own (on a busy core, between other
// work) costs several times as much (bench/README.md, "At 8 connections").
//
// Values are encoded when 256 wait (or 256 KiB by their size), when the Writer
// flushes (its interval, a record that does not wait, Flush) and at Close; after
// Close, Add encodes at once. They are encoded without the context they were added
// in: the encoder must log only records that the Writer's Handler batches, and
// nothing that needs a context.
type Queue[T any] struct {
	w      *Writer
	encode func(T)
	size   func(T) int

	mu     sync.Mutex
	items  []T
	bytes  int // what items point to, by size
	spare  []T // the other buffer, while items are encoded
	closed bool
}

// drainer is what a Writer needs of its queues.
type drainer interface {
	drain()        // encode what waits; the Writer's emit lock is held
	waiting() bool // something waits
	close()        // encode later values at once
}

// NewQueue returns a Queue of w whose values encode logs; size tells about how many
// bytes a value points to. Call it before w is used.
func NewQueue[T any](w *Writer, encode func(T), size func(T) int) *Queue[T] {
	q := &Queue[T]{w: w, encode: encode, size: size}
	w.queues = append(w.queues, q)
	return q
}

// Add queues v.
func (q *Queue[T]) Add(v T) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		q.w.emit.Lock()
		defer q.w.emit.Unlock()
		q.encode(v)
		return
	}
	q.items = append(q.items, v)
	q.bytes += q.size(v)
	n, full := len(q.items), len(q.items) >= maxQueued || q.bytes >= maxQueuedBytes
	q.mu.Unlock()
	if n == 1 {
		q.w.arm()
	}
	if full {
		q.w.emit.Lock()
		defer q.w.emit.Unlock()
		q.drain()
	}
}

func (q *Queue[T]) drain() {
	q.mu.Lock()
	items := q.items
	if len(items) == 0 { // every flush and unbatched record asks; usually nothing waits
		q.mu.Unlock()
		return
	}
	q.items, q.spare, q.bytes = q.spare[:0], nil, 0
	q.mu.Unlock()
	for _, v := range items {
		q.encode(v)
	}
	clear(items) // drop what the values point to
	q.mu.Lock()
	q.spare = items[:0]
	q.mu.Unlock()
}

func (q *Queue[T]) waiting() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) > 0
}

func (q *Queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}
