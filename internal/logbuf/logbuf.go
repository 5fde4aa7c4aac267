// Package logbuf batches the per-request log lines on their way to the process's
// output, so a busy gateway makes one write system call per batch instead of one
// per request.
//
// Batched lines wait at most a flush interval (100 ms in ssogate) or until 64 KiB
// are waiting; every other record (start-up, audit, warnings, errors) is written
// before its Handle returns, after the lines waiting before it; Close writes
// whatever is left.
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

	mu      sync.Mutex
	pending []byte
	timer   *time.Timer // armed while lines are pending
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
	if len(w.pending) == 0 {
		w.timer.Reset(w.interval)
	}
	w.pending = append(w.pending, p...)
	return len(p), nil
}

// Flush writes the pending lines now.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

// Close writes the pending lines; later writes go straight to the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	w.timer.Stop()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if len(w.pending) == 0 {
		return nil
	}
	w.timer.Stop()
	_, err := w.out.Write(w.pending)
	w.pending = w.pending[:0]
	return err
}

// Handler wraps h, which writes to w, so that only records at slog.LevelInfo or
// below with message batched wait in w; any other record is written, with the lines
// waiting before it, before Handle returns.
func (w *Writer) Handler(h slog.Handler, batched string) slog.Handler {
	return &handler{Handler: h, w: w, batched: batched}
}

type handler struct {
	slog.Handler
	w       *Writer
	batched string
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level > slog.LevelInfo || r.Message != h.batched {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &handler{Handler: h.Handler.WithAttrs(attrs), w: h.w, batched: h.batched}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{Handler: h.Handler.WithGroup(name), w: h.w, batched: h.batched}
}
