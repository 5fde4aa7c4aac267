package testenv

import (
	"testing"
	"time"
)

// LogWait is how long tests wait for a log line by default: the process's output
// reaches the test through a pipe, shortly after the response.
const LogWait = 10 * time.Second

// WaitLogRecord waits up to timeout for one of the gateway's JSON log lines that match
// accepts and returns the first, or fails the test naming what it waited for.
func (g *Gateway) WaitLogRecord(t testing.TB, what string, timeout time.Duration, match func(rec map[string]any) bool) map[string]any {
	t.Helper()
	return g.WaitLogRecords(t, what, 1, timeout, match)[0]
}

// WaitRecord waits up to timeout for a JSON log line whose msg is msg and that match
// accepts (nil: any such line), and returns the first.
func (g *Gateway) WaitRecord(t testing.TB, msg string, timeout time.Duration, match func(rec map[string]any) bool) map[string]any {
	t.Helper()
	return g.WaitLogRecord(t, "msg "+msg, timeout, func(rec map[string]any) bool {
		return rec["msg"] == msg && (match == nil || match(rec))
	})
}

// RecordsWithMsg returns the JSON log lines in logs whose msg is msg.
func RecordsWithMsg(logs, msg string) []map[string]any {
	return LogRecords(logs, func(rec map[string]any) bool { return rec["msg"] == msg })
}

// Str returns rec[key] as a string ("" when absent or not a string).
func Str(rec map[string]any, key string) string {
	s, _ := rec[key].(string)
	return s
}

// Strs returns rec[key] as a list of strings (empty when absent).
func Strs(rec map[string]any, key string) []string {
	list, _ := rec[key].([]any)
	out := []string{}
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}
