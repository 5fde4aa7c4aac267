package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
)

// TestEveryRequestHasOneWholeAccessLine sends requests from many connections at once,
// with debug lines (written at once) between the access lines (encoded in batches),
// stops the gateway, and reads every request's line, whole, exactly once.
func TestEveryRequestHasOneWholeAccessLine(t *testing.T) {
	t.Parallel()
	s := startStack(t, func(redirect string) testenv.Client { return testenv.PublicClient("spa", redirect) },
		map[string]string{"OIDC_CLIENT_ID": "spa", "OIDC_AUTH_METHOD": "pkce"})
	const clients, each = 16, 40
	var (
		mu    sync.Mutex
		paths = map[string]string{} // request ID → path
		wg    sync.WaitGroup
	)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{}
			for i := range each {
				path := fmt.Sprintf("/api/runs/%d-%d", c, i)
				req, _ := http.NewRequest(http.MethodGet, s.gw.URL+path, nil)
				req.Header.Set("Accept", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s: status %d, want 401", path, resp.StatusCode)
				}
				mu.Lock()
				paths[resp.Header.Get("X-Request-Id")] = path
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	s.gw.Stop(t) // the lines still waiting are written on the way out

	seen := map[string]int{}
	for _, line := range strings.Split(s.gw.Logs(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not whole JSON (%v): %q", err, line)
		}
		if rec["msg"] != "request" {
			continue
		}
		id := testenv.Str(rec, "request_id")
		if want, ok := paths[id]; ok {
			seen[id]++
			if testenv.Str(rec, "path") != want || rec["status"] != float64(http.StatusUnauthorized) {
				t.Errorf("access line %v; want path %s and status 401", rec, want)
			}
		}
	}
	if len(paths) != clients*each {
		t.Fatalf("%d distinct request IDs for %d requests", len(paths), clients*each)
	}
	for id, path := range paths {
		if seen[id] != 1 {
			t.Errorf("request %s (%s) has %d access lines, want 1", id, path, seen[id])
		}
	}
}
