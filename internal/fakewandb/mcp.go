package fakewandb

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// mcpProtocolVersion is the MCP revision the fake speaks (streamable HTTP).
const mcpProtocolVersion = "2025-06-18"

// rpcRequest is a JSON-RPC 2.0 message from an MCP client.
type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  struct {
		Name      string         `json:"name"`
		Arguments map[string]any `json:"arguments"`
		Meta      struct {
			ProgressToken any `json:"progressToken"`
		} `json:"_meta"`
	} `json:"params"`
}

// mcp serves POST /mcp, the streamable HTTP transport: initialize answers JSON with
// an Mcp-Session-Id; tools/call of "stream_progress" (arguments: seconds) answers a
// text/event-stream with one progress notification a second, then the result.
func (s *Server) mcp(w http.ResponseWriter, r *http.Request) {
	if _, err := s.authenticate(r); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="W&B MCP"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"jsonrpc": "2.0", "error": map[string]any{"code": -32001, "message": "unauthorized"}})
		return
	}
	accept := r.Header.Get("Accept")
	if !strings.Contains(accept, "application/json") || !strings.Contains(accept, "text/event-stream") {
		writeJSON(w, http.StatusNotAcceptable, map[string]string{"error": "Accept must list application/json and text/event-stream"})
		return
	}
	var req rpcRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.JSONRPC != "2.0" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"jsonrpc": "2.0", "error": map[string]any{"code": -32700, "message": "parse error"}})
		return
	}
	if req.Method == "initialize" {
		id := newSessionID()
		s.mu.Lock()
		s.sessions[id] = true
		s.mu.Unlock()
		w.Header().Set("Mcp-Session-Id", id)
		writeJSON(w, http.StatusOK, map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": map[string]any{
			"protocolVersion": mcpProtocolVersion, "capabilities": map[string]any{"tools": map[string]any{}},
			"serverInfo": map[string]string{"name": "fake-wandb-mcp", "version": "0.0.1"}}})
		return
	}
	s.mu.Lock()
	known := s.sessions[r.Header.Get("Mcp-Session-Id")]
	s.mu.Unlock()
	switch {
	case !known:
		writeJSON(w, http.StatusNotFound, map[string]any{"jsonrpc": "2.0", "error": map[string]any{"code": -32000, "message": "unknown session"}})
	case req.ID == nil: // a notification, e.g. notifications/initialized
		w.WriteHeader(http.StatusAccepted)
	case req.Method == "tools/call" && req.Params.Name == "stream_progress":
		s.streamProgress(w, r, req)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": map[string]any{"code": -32601, "message": "method not found"}})
	}
}

// streamProgress writes one progress event a second for the requested seconds, each
// flushed at once, then the tool's result; it stops when the client goes away.
func (s *Server) streamProgress(w http.ResponseWriter, r *http.Request, req rpcRequest) {
	seconds, _ := req.Params.Arguments["seconds"].(float64)
	total := max(1, int(seconds))
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 1; i <= total; i++ {
		params := map[string]any{"progressToken": req.Params.Meta.ProgressToken, "progress": i, "total": total,
			"message": fmt.Sprintf("step %d of %d", i, total), "_meta": map[string]any{"sentAt": time.Now().UTC()}}
		if !sendEvent(w, rc, i, map[string]any{"jsonrpc": "2.0", "method": "notifications/progress", "params": params}) {
			return
		}
		if i == total {
			break
		}
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		}
	}
	sendEvent(w, rc, total+1, map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": map[string]any{
		"content": []map[string]string{{"type": "text", "text": fmt.Sprintf("streamed %d events", total)}}}})
}

// sendEvent writes one SSE event and flushes it; false when the client is gone.
func sendEvent(w http.ResponseWriter, rc *http.ResponseController, id int, msg any) bool {
	data, err := json.Marshal(msg)
	if err != nil {
		return false
	}
	if _, err := fmt.Fprintf(w, "event: message\nid: %d\ndata: %s\n\n", id, data); err != nil {
		return false
	}
	return rc.Flush() == nil
}

func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
