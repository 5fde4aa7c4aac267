package proxy

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/claims"
)

// echoed is what the echo upstream received, sent back as its JSON body.
type echoed struct {
	Method string      `json:"method"`
	URI    string      `json:"uri"`
	Header http.Header `json:"header"`
}

// echoUpstream answers every request with the method, URI and headers it received.
func echoUpstream(hits *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, URI: r.RequestURI, Header: r.Header})
	})
}

func decodeEcho(t testing.TB, body string) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("upstream echo %q: %v", body, err)
	}
	return e
}

// logBuffer collects the gateway's JSON log lines.
type logBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{} // signalled after each line
}

func newLogBuffer() *logBuffer { return &logBuffer{wrote: make(chan struct{}, 1)} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	n, err := l.buf.Write(p)
	l.mu.Unlock()
	select {
	case l.wrote <- struct{}{}:
	default:
	}
	return n, err
}

// waitFor returns the first line with msg that match accepts, waiting up to 10s for
// the gateway to write it (a line about a request may follow its response).
func (l *logBuffer) waitFor(t testing.TB, msg string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		for _, r := range l.records(t, msg) {
			if match(r) {
				return r
			}
		}
		select {
		case <-l.wrote:
		case <-deadline:
			t.Fatalf("no %q log line matching within 10s", msg)
			return nil
		}
	}
}

// logger returns a JSON logger at debug level writing to l.
func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// records returns every log line whose msg is msg (any line when msg is ""), decoded.
func (l *logBuffer) records(t testing.TB, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	data := bytes.Clone(l.buf.Bytes())
	l.mu.Unlock()
	var out []map[string]any
	for line := range bytes.Lines(data) {
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if msg == "" || rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// fakeAsserter stands in for assertion.Cache: its assertion names the user, and it
// records the sessions it was told to forget.
type fakeAsserter struct {
	mu        sync.Mutex
	forgotten []string
}

func (a *fakeAsserter) Get(id claims.Identity, _ string) (string, error) {
	return "test-assertion." + id.Username, nil
}

func (a *fakeAsserter) Forget(sessionID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.forgotten = append(a.forgotten, sessionID)
}

func (a *fakeAsserter) forgottenCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.forgotten)
}
