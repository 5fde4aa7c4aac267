package testenv

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGatewayClockWritesItsOffset: the file a testclock gateway reads holds the
// offset as a Go duration, moved on by each Advance.
func TestGatewayClockWritesItsOffset(t *testing.T) {
	c := NewGatewayClock(t)
	path := c.Env()[TestClockEnv]
	read := func() time.Duration {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := time.ParseDuration(string(b))
		if err != nil {
			t.Fatalf("the clock file holds %q: %v", b, err)
		}
		return d
	}
	if got := read(); got != 0 {
		t.Errorf("a new clock's file says %v, want 0s", got)
	}
	c.Advance(t, 90*time.Second)
	c.Advance(t, time.Minute)
	if got, want := read(), 150*time.Second; got != want || c.Offset() != want {
		t.Errorf("after 90s and 1m the file says %v and Offset %v, want %v", got, c.Offset(), want)
	}
	tok := NewGatewayTokenClock(t)
	if _, ok := tok.Env()[TestTokenClockEnv]; !ok || len(tok.Env()) != 1 {
		t.Errorf("a token clock's Env is %v, want only %s", tok.Env(), TestTokenClockEnv)
	}
	path = tok.Env()[TestTokenClockEnv]
	tok.Set(t, -time.Hour)
	if got := read(); got != -time.Hour || tok.Offset() != -time.Hour {
		t.Errorf("after Set(-1h) the token clock's file says %v and Offset %v, want -1h", got, tok.Offset())
	}
}

// TestRedisAdvanceTTLs: keys with an expiry lose d of it, those within d are gone,
// and keys without one stay as they are.
func TestRedisAdvanceTTLs(t *testing.T) {
	r := StartRedis(t)
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(redisCLIPath, append([]string{"-p", strconv.Itoa(r.port)}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	cli("SET", "short", "1", "PX", "60000")
	cli("SET", "long", "1", "PX", "300000")
	cli("SET", "forever", "1")
	if gone := r.AdvanceTTLs(t, 2*time.Minute); gone != 1 {
		t.Errorf("AdvanceTTLs(2m) expired %d keys, want 1 (short)", gone)
	}
	if got := cli("EXISTS", "short"); got != "0" {
		t.Errorf("EXISTS short after 2m = %s, want 0", got)
	}
	left, _ := strconv.Atoi(cli("PTTL", "long"))
	if left <= 170_000 || left > 180_000 {
		t.Errorf("PTTL long after 2m of its 5m = %d ms, want about 180000", left)
	}
	if got := cli("PTTL", "forever"); got != "-1" {
		t.Errorf("PTTL forever = %s, want -1 (no expiry)", got)
	}
}
