package logbuf_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/logbuf"
)

// line is what the tests queue: a request's path.
type line struct{ path string }

// newQueued returns a Writer on out with a Queue of lines logged as "request"
// records, and the logger of its handler.
func newQueued(out *sink, interval time.Duration) (*logbuf.Writer, *logbuf.Queue[line], *slog.Logger) {
	w := logbuf.New(out, interval)
	h := w.Handler(slog.NewJSONHandler(w, nil), "request")
	q := logbuf.NewQueue(w, func(l line) { slog.New(h).Info("request", "path", l.path) },
		func(l line) int { return len(l.path) })
	return w, q, slog.New(h)
}

func TestQueuedValuesAreEncodedAndWrittenAtTheInterval(t *testing.T) {
	out := newSink()
	w, q, _ := newQueued(out, 50*time.Millisecond)
	defer w.Close()
	q.Add(line{"/a"})
	q.Add(line{"/b"})
	if got := out.all(); len(got) != 0 {
		t.Fatalf("written before the interval: %q", got)
	}
	select {
	case <-out.wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing written 5s after two queued values, want one write after the 50ms interval")
	}
	got := out.all()
	if len(got) != 1 || strings.Count(got[0], "\n") != 2 || strings.Index(got[0], `"path":"/a"`) > strings.Index(got[0], `"path":"/b"`) {
		t.Errorf("writes = %q, want one write of /a's line, then /b's", got)
	}
}

func TestARecordThatDoesNotWaitComesAfterTheQueuedValues(t *testing.T) {
	out := newSink()
	w, q, logger := newQueued(out, time.Hour)
	defer w.Close()
	q.Add(line{"/before"})
	logger.Info("request", "path", "/batched")
	if got := out.all(); len(got) != 0 {
		t.Fatalf("written at once: %q", got)
	}
	logger.Warn("upstream down")
	got := strings.Join(out.all(), "")
	before, batched, warn := strings.Index(got, "/before"), strings.Index(got, "/batched"), strings.Index(got, "upstream down")
	if before < 0 || batched < 0 || warn < before || warn < batched {
		t.Errorf("output after the warning is %q; want both waiting lines, then the warning", got)
	}
}

func TestAFullQueueIsEncodedButItsLinesStillWait(t *testing.T) {
	out := newSink()
	w := logbuf.New(out, time.Hour)
	defer w.Close()
	h := w.Handler(slog.NewJSONHandler(w, nil), "request")
	encoded := 0 // only ever changed under the Writer's lock, here on this goroutine
	q := logbuf.NewQueue(w, func(l line) { encoded++; slog.New(h).Info("request", "path", l.path) },
		func(l line) int { return len(l.path) })
	for i := range 255 {
		q.Add(line{fmt.Sprintf("/%d", i)})
	}
	if encoded != 0 {
		t.Fatalf("%d of 255 values encoded at once, want none", encoded)
	}
	q.Add(line{"/255"})
	if encoded != 256 {
		t.Fatalf("%d values encoded after the 256th, want 256", encoded)
	}
	if got := out.all(); len(got) != 0 {
		t.Fatalf("256 short lines written before the interval: %d writes", len(got))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.all(); len(got) != 1 || strings.Count(got[0], "\n") != 256 {
		t.Errorf("Flush made %d writes, want one of the 256 lines", len(got))
	}
}

func TestLongValuesAreEncodedEarly(t *testing.T) {
	out := newSink()
	w, q, _ := newQueued(out, time.Hour)
	defer w.Close()
	long := "/" + strings.Repeat("p", 60<<10) // a client's 60 KiB path
	q.Add(line{long})
	if got := out.all(); len(got) != 0 {
		t.Fatalf("written at once: %d writes", len(got))
	}
	// The Writer holds at most 64 KiB of lines: the second encoded line pushes the
	// first out. Five of these reach the queue's 256 KiB before 256 values.
	for range 4 {
		q.Add(line{long})
	}
	if got := out.all(); len(got) == 0 {
		t.Error("five 60 KiB values still wait unencoded; want them encoded once 256 KiB wait")
	}
}

func TestCloseEncodesWhatWaitsAndLaterValuesGoStraightThrough(t *testing.T) {
	out := newSink()
	w, q, _ := newQueued(out, time.Hour)
	q.Add(line{"/waiting"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	q.Add(line{"/after"})
	got := out.all()
	if len(got) != 2 || !strings.Contains(got[0], "/waiting") || !strings.Contains(got[1], "/after") {
		t.Errorf("writes = %q, want the waiting line at Close, then the later line", got)
	}
}

func TestConcurrentValuesAreAllWritten(t *testing.T) {
	out := &countingSink{}
	w := logbuf.New(out, time.Millisecond)
	h := w.Handler(slog.NewJSONHandler(w, nil), "request")
	q := logbuf.NewQueue(w, func(l line) { slog.New(h).Info("request", "path", l.path) },
		func(l line) int { return len(l.path) })
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				q.Add(line{fmt.Sprintf("/%d/%d", g, i)})
				if i%100 == 0 {
					slog.New(h).Warn("a line that does not wait")
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.lines("request"), 8000; got != want {
		t.Errorf("%d access lines written, want %d", got, want)
	}
}

// countingSink keeps everything written.
type countingSink struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *countingSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *countingSink) lines(msg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), `"msg":"`+msg+`"`)
}
