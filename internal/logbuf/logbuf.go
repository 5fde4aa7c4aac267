// Package logbuf batches the per-request log lines on their way to the process's
// output, so a busy gateway makes one write system call per batch instead of one
// per request; a Queue defers even their encoding, to do it in batches.
//
// Batched lines wait at most a flush interval (100 ms in ssogate) or until 64 KiB
// are waiting; every other record (start-up, audit, warnings, errors) is written
// before its Handle returns, after the values and lines waiting before it; Close
// writes whatever is left.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// maxPending is how many bytes may wait: a burst writes as soon as they fill up.
const maxPending = 64 << 10

// Writer is an io.Writer that holds lines for up to an interval before writing them
// to the underlying writer in one call. It is safe for concurrent use. A batch the
// underlying writer refuses is dropped, and the error returned to whoever caused the
// write (Write, Flush or Close; nobody for the interval's own flush).
type Writer struct {
	out      io.Writer
	interval time.Duration
	queues   []drainer // set before use (NewQueue)

	// emit is held while queues are drained and while a record that does not wait
	// is written, so that lines keep the order of what they log.
	emit sync.Mutex

	mu      sync.Mutex
	pending []byte
	timer   *time.Timer // set while lines or queued values wait
	armed   bool
	closed  bool
}

// New returns a Writer for out that writes pending lines at least every interval.
func New(out io.Writer, interval time.Duration) *Writer {
	w := &Writer{out: out, interval: interval, pending: make([]byte, 0, maxPending)}
	w.timer = time.AfterFunc(time.Hour, func() { _ = w.Flush() })
	w.timer.Stop()
	return w
}

// Write queues p; it writes through at once after Close.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	if len(w.pending)+len(p) > maxPending {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > maxPending {
			return w.out.Write(p)
		}
	}
	w.armLocked()
	w.pending = append(w.pending, p...)
	return len(p), nil
}

// Flush encodes the queued values and writes the pending lines now.
func (w *Writer) Flush() error {
	w.emit.Lock()
	defer w.emit.Unlock()
	w.drainEmitting()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

// Close writes what waits; later values, records and writes go straight to the
// underlying writer.
func (w *Writer) Close() error {
	w.emit.Lock()
	defer w.emit.Unlock()
	for _, q := range w.queues {
		q.close()
	}
	w.drainEmitting()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return w.flushLocked()
}

// drainEmitting encodes every queue's values; w.emit is held.
func (w *Writer) drainEmitting() {
	for _, q := range w.queues {
		q.drain()
	}
}

// flushLocked writes the pending lines; w.mu is held. The timer stays set while
// values wait in a queue (added while others were encoded).
func (w *Writer) flushLocked() error {
	w.timer.Stop()
	w.armed = false
	for _, q := range w.queues {
		if q.waiting() {
			w.armLocked()
			break
		}
	}
	if len(w.pending) == 0 {
		return nil
	}
	_, err := w.out.Write(w.pending)
	w.pending = w.pending[:0]
	return err
}

// armLocked sets the timer unless it is set; w.mu is held.
func (w *Writer) armLocked() {
	if !w.armed {
		w.armed = true
		w.timer.Reset(w.interval)
	}
}

// arm sets the timer unless it is set.
func (w *Writer) arm() {
	w.mu.Lock()
	w.armLocked()
	w.mu.Unlock()
}

// Handler wraps h, which writes to w, so that only records at slog.LevelInfo or
// below with message batched wait in w; any other record is written, with the
// values and lines waiting before it, before Handle returns.
func (w *Writer) Handler(h slog.Handler, batched string) slog.Handler {
	return &handler{Handler: h, w: w, batched: batched}
}

type handler struct {
	slog.Handler
	w       *Writer
	batched string
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level <= slog.LevelInfo && r.Message == h.batched {
		return h.Handler.Handle(ctx, r)
	}
	h.w.emit.Lock()
	defer h.w.emit.Unlock()
	h.w.drainEmitting()
	err := h.Handler.Handle(ctx, r)
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	if ferr := h.w.flushLocked(); err == nil {
		err = ferr
	}
	return err
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &handler{Handler: h.Handler.WithAttrs(attrs), w: h.w, batched: h.batched}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{Handler: h.Handler.WithGroup(name), w: h.w, batched: h.batched}
}
