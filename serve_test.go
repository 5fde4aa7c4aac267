package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/config"
	"github.com/ssogate/ssogate/internal/logbuf"
	"github.com/ssogate/ssogate/proxy"
)

func TestAccessLinesWaitThenComeOutAsTheLoggerWritesThem(t *testing.T) {
	var out lockedBuffer
	w := logbuf.New(&out, time.Hour)
	defer w.Close()
	logger := slog.New(w.Handler(newLogHandler(config.Config{LogLevel: slog.LevelInfo}, w), proxy.AccessLogMessage))
	accessLog := newAccessLog(w, logger, nil)
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	line := proxy.AccessLine{Time: at, RequestID: "00112233aabbccdd", Method: "GET", Path: "/runs/\"x\"", Status: 200,
		Bytes: 512, Duration: 1500 * time.Microsecond, ClientIP: "192.0.2.7"}
	accessLog(context.Background(), line)
	if got := out.String(); got != "" {
		t.Fatalf("an access line was written at once: %q", got)
	}
	logger.Warn("then a warning")
	want := `{"time":"2026-12-05T10:00:00Z","level":"INFO","msg":"request","request_id":"00112233aabbccdd","method":"GET",` +
		`"path":"/runs/\"x\"","status":200,"bytes":512,"duration":1500000,"client_ip":"192.0.2.7"}` + "\n"
	got := out.String()
	if !strings.HasPrefix(got, want) || !strings.Contains(got[len(want):], `"msg":"then a warning"`) {
		t.Errorf("output = %q; want the access line\n%s then the warning", got, want)
	}
}
