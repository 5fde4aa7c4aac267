package wandb

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// streamSeconds is how long the MCP tool streams: one progress event a second.
const streamSeconds = 30

// mcpHeaders are what an MCP client (Claude Code, Cursor, VS Code) sends to a
// streamable HTTP server configured with a W&B API key.
func mcpHeaders(session string) http.Header {
	h := http.Header{"Authorization": {"Bearer " + apiKey}, "Accept": {"application/json, text/event-stream"},
		"Content-Type": {"application/json"}}
	if session != "" {
		h["Mcp-Session-Id"] = []string{session}
		h["Mcp-Protocol-Version"] = []string{"2025-06-18"}
	}
	return h
}

// sseEvent is one server-sent event's data with the moment it arrived.
type sseEvent struct {
	arrived time.Time
	msg     struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			Progress int `json:"progress"`
			Meta     struct {
				SentAt time.Time `json:"sentAt"`
			} `json:"_meta"`
		} `json:"params"`
	}
}

// testMCPStreamsThroughTheGateway: an MCP client initializes a session with its W&B
// API key as a Bearer token, then calls a tool that streams a progress event every
// second for 30 seconds over server-sent events. Each event must arrive when it was
// sent — the gateway neither buffers the stream nor cuts it — which the test reads
// from each event's send time against its arrival time.
func testMCPStreamsThroughTheGateway(t *testing.T, s *stack) {
	initialize := `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18",` +
		`"capabilities":{"roots":{"listChanged":true}},"clientInfo":{"name":"claude-code","version":"1.0.0"}}}`
	resp, body := s.do(t, http.MethodPost, "/mcp", mcpHeaders(""), initialize)
	session := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || session == "" || !strings.Contains(string(body), `"protocolVersion"`) {
		t.Fatalf("POST /mcp initialize: got %d session %q %s, want 200 with a session", resp.StatusCode, session, body)
	}
	if resp, body := s.do(t, http.MethodPost, "/mcp", mcpHeaders(session), `{"jsonrpc":"2.0","method":"notifications/initialized"}`); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /mcp notifications/initialized: got %d %s, want 202", resp.StatusCode, body)
	}

	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"stream_progress",` +
		`"arguments":{"seconds":30},"_meta":{"progressToken":"p-1"}}}`
	events := s.stream(t, "/mcp", mcpHeaders(session), call)
	if len(events) != streamSeconds+1 || string(events[len(events)-1].msg.ID) != "1" {
		t.Fatalf("got %d events, want %d progress events and the result last", len(events), streamSeconds)
	}
	progress := events[:streamSeconds]
	var worst time.Duration
	late := 0
	for i, e := range progress {
		if e.msg.Method != "notifications/progress" || e.msg.Params.Progress != i+1 || e.msg.Params.Meta.SentAt.IsZero() {
			t.Fatalf("event %d: got %s progress %d, want notifications/progress %d with its send time", i, e.msg.Method, e.msg.Params.Progress, i+1)
		}
		delay := e.arrived.Sub(e.msg.Params.Meta.SentAt)
		worst = max(worst, delay)
		if delay > 2*time.Second {
			late++
		}
	}
	// Sent a second apart; buffered, they would arrive together, up to 30 s late. A
	// busy machine may hold back an event or two on its own; a buffer holds back most.
	if late > streamSeconds/10 {
		t.Errorf("%d of %d events arrived more than 2s after they were sent (worst %v), want at most %d: the stream was buffered", late, streamSeconds, worst, streamSeconds/10)
	}
	if spread := progress[len(progress)-1].arrived.Sub(progress[0].arrived); spread < (streamSeconds-4)*time.Second {
		t.Errorf("the %d events arrived within %v, want them spread over about %ds as sent", len(progress), spread, streamSeconds-1)
	}
	t.Logf("%d events over %v, worst delay from send to arrival %v", len(progress), progress[len(progress)-1].arrived.Sub(progress[0].arrived), worst)

	if r := s.checkNoIdentity(t, "/mcp"); r.Credential != "api_key" {
		t.Errorf("the application read the credential as %q, want the Bearer API key", r.Credential)
	}
	s.passthroughAudits(t, "bearer", 3)
}

// stream POSTs body to path and reads the answer as server-sent events, noting when
// each one arrives, until the server ends the stream.
func (s *stack) stream(t *testing.T, path string, header http.Header, body string) []sseEvent {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.gw.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	c := &http.Client{Timeout: 2 * streamSeconds * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("POST %s: got %d %q, want 200 text/event-stream", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []sseEvent
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if data, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "data: "); ok {
			e := sseEvent{arrived: time.Now()}
			if err := json.Unmarshal([]byte(data), &e.msg); err != nil {
				t.Fatalf("event data %q: %v", data, err)
			}
			events = append(events, e)
		}
		if err != nil {
			if err != io.EOF {
				t.Logf("the stream ended with %v after %d events", err, len(events))
			}
			return events
		}
	}
}
