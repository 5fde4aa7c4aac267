package logbuf_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/logbuf"
)

// sink records every Write the Writer makes and signals it.
type sink struct {
	mu     sync.Mutex
	writes []string
	wrote  chan struct{}
	fail   error
}

func newSink() *sink { return &sink{wrote: make(chan struct{}, 100)} }

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.writes = append(s.writes, string(p))
	fail := s.fail
	s.mu.Unlock()
	s.wrote <- struct{}{}
	if fail != nil {
		return 0, fail
	}
	return len(p), nil
}

func (s *sink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

func TestLinesWaitForTheIntervalThenGoInOneWrite(t *testing.T) {
	out := newSink()
	w := logbuf.New(out, 50*time.Millisecond)
	defer w.Close()
	for _, line := range []string{"one\n", "two\n", "three\n"} {
		if n, err := w.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", line, n, err)
		}
	}
	if got := out.all(); len(got) != 0 {
		t.Fatalf("written before the interval: %q", got)
	}
	select {
	case <-out.wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing written 5s after the lines, want one write after the 50ms interval")
	}
	if got := out.all(); len(got) != 1 || got[0] != "one\ntwo\nthree\n" {
		t.Errorf("writes = %q, want one write of the three lines", got)
	}
}

func TestOnlyTheBatchedMessageWaits(t *testing.T) {
	for _, tt := range []struct {
		name string
		log  func(*slog.Logger)
		msg  string
	}{
		{"info", func(l *slog.Logger) { l.Info("sign-in succeeded", "audit", true) }, "sign-in succeeded"},
		{"warning", func(l *slog.Logger) { l.WithGroup("g").Warn("LOCAL_RESTORE is on") }, "LOCAL_RESTORE is on"},
		{"batched message as an error", func(l *slog.Logger) { l.Error("request") }, "request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := newSink()
			w := logbuf.New(out, time.Hour)
			defer w.Close()
			logger := slog.New(w.Handler(slog.NewJSONHandler(w, nil), "request")).With("app", "ssogate")
			logger.Info("request", "status", 200, "n", 1)
			if got := out.all(); len(got) != 0 {
				t.Fatalf("a batched line was written at once: %q", got)
			}
			tt.log(logger)
			got := strings.Join(out.all(), "")
			first, second := strings.Index(got, `"n":1`), strings.Index(got, `"msg":"`+tt.msg+`"`)
			if tt.msg == "request" {
				second = strings.LastIndex(got, `"msg":"request"`)
			}
			if first < 0 || second <= first {
				t.Errorf("output right after the record is %q; want the batched line, then the record", got)
			}
		})
	}
}

func TestAFullBufferIsWrittenAtOnce(t *testing.T) {
	out := newSink()
	w := logbuf.New(out, time.Hour)
	defer w.Close()
	line := []byte(strings.Repeat("x", 1000) + "\n")
	total := 0
	for len(out.all()) == 0 && total < 1<<20 {
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
		total += len(line)
	}
	got := out.all()
	if len(got) != 1 || len(got[0]) > 64<<10 || len(got[0])%len(line) != 0 {
		t.Fatalf("after %d bytes: %d writes, first %d bytes; want one write of whole lines, at most 64 KiB", total, len(got), len(got[0]))
	}
	big := bytes.Repeat([]byte("y"), 100<<10)
	if n, err := w.Write(big); n != len(big) || err != nil {
		t.Fatalf("Write of a 100 KiB line = %d, %v", n, err)
	}
	if got := out.all(); len(got) != 3 || len(got[2]) != len(big) {
		t.Errorf("a line larger than the buffer: %d writes; want the pending lines, then the line itself", len(got))
	}
}

func TestCloseWritesWhatIsLeftAndLaterLinesGoStraightThrough(t *testing.T) {
	out := newSink()
	w := logbuf.New(out, time.Hour)
	_, _ = w.Write([]byte("pending\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("after close\n"))
	if got := out.all(); len(got) != 2 || got[0] != "pending\n" || got[1] != "after close\n" {
		t.Errorf("writes = %q, want the pending line at Close, then the later line", got)
	}
}

func TestAFailedWriteIsReportedAndLoggingGoesOn(t *testing.T) {
	out := newSink()
	out.fail = errors.New("disk full")
	w := logbuf.New(out, time.Hour)
	defer w.Close()
	_, _ = w.Write([]byte("lost\n"))
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Errorf("Flush with a failing output = %v, want disk full", err)
	}
	out.mu.Lock()
	out.fail = nil
	out.mu.Unlock()
	_, _ = w.Write([]byte("kept\n"))
	if err := w.Flush(); err != nil {
		t.Errorf("Flush after the output recovered = %v", err)
	}
	if got := out.all(); got[len(got)-1] != "kept\n" {
		t.Errorf("writes = %q, want the later line written on its own", got)
	}
}
