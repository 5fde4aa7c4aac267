package testenv

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	// redisServerPath is Debian's redis-server, installed by .ci/run.
	redisServerPath = "/usr/bin/redis-server"
	// redisStartTimeout bounds how long a starting redis-server may take to answer PING.
	redisStartTimeout = 15 * time.Second
	// redisPollInterval is how often a starting redis-server is pinged.
	redisPollInterval = 20 * time.Millisecond
)

// Redis is a redis-server process listening on 127.0.0.1, its data in a temporary
// directory. Stop and Start let a test simulate an outage: Start runs it again on the
// same port and directory.
type Redis struct {
	port    int
	dir     string
	durable bool
	cluster bool   // a node of a RedisCluster
	busPort int    // its cluster bus port, chosen apart from port (port+10000 may be taken or over 65535)
	socket  string // its Unix socket's path, if it listens on one too
	proc    *process
}

// StartRedis starts a redis-server that keeps nothing on disk (--save "",
// --appendonly no): a restart loses every key. It stops the server by PID in t.Cleanup.
// A machine without redis-server fails the test; it never skips.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	return startRedis(t, false)
}

// StartDurableRedis starts a redis-server with an append-only file fsynced on every
// write (--appendonly yes --appendfsync always), so Stop and Start lose nothing.
func StartDurableRedis(t testing.TB) *Redis {
	t.Helper()
	return startRedis(t, true)
}

// StartRedisWithSocket starts a redis-server like StartRedis that also listens on a
// Unix socket (SocketURL).
func StartRedisWithSocket(t testing.TB) *Redis {
	t.Helper()
	RequireFile(t, redisServerPath, "redis-server")
	// A socket's path must fit in 108 bytes, which a test's TempDir may not.
	dir, err := os.MkdirTemp("", "redis-")
	if err != nil {
		t.Fatalf("testenv: a directory for the Redis socket: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	r := &Redis{port: FreePort(t), dir: t.TempDir(), socket: filepath.Join(dir, "redis.sock")}
	r.Start(t)
	return r
}

func startRedis(t testing.TB, durable bool) *Redis {
	t.Helper()
	RequireFile(t, redisServerPath, "redis-server")
	r := &Redis{port: FreePort(t), dir: t.TempDir(), durable: durable}
	r.Start(t)
	return r
}

// Addr returns "127.0.0.1:PORT".
func (r *Redis) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
}

// URL returns "redis://127.0.0.1:PORT/0", the form SESSION_STORE takes.
func (r *Redis) URL() string {
	return "redis://" + r.Addr() + "/0"
}

// SocketURL returns "unix:///PATH?db=0", the form SESSION_STORE takes for the
// server's Unix socket; the server must have been started with StartRedisWithSocket.
func (r *Redis) SocketURL(t testing.TB) string {
	t.Helper()
	if r.socket == "" {
		t.Fatal("testenv: this redis-server has no Unix socket: start it with StartRedisWithSocket")
	}
	return "unix://" + r.socket + "?db=0"
}

// Logs returns what the current (or last) redis-server process printed.
func (r *Redis) Logs() string {
	if r.proc == nil {
		return ""
	}
	return r.proc.Logs()
}

// Stop shuts the server down (SIGTERM, which flushes the append-only file) and waits for
// it to exit.
func (r *Redis) Stop(t testing.TB) {
	t.Helper()
	if r.proc != nil {
		r.proc.stop(t)
	}
}

// Start runs redis-server on r's port and directory and waits until it answers PING.
// StartRedis calls it; call it again after Stop to end a simulated outage.
func (r *Redis) Start(t testing.TB) {
	t.Helper()
	if r.proc != nil && !r.proc.exited() {
		t.Fatalf("testenv: redis-server on %s is already running", r.Addr())
	}
	args := []string{
		"--port", strconv.Itoa(r.port),
		"--bind", "127.0.0.1",
		"--dir", r.dir,
		"--save", "",
		"--daemonize", "no",
		"--loglevel", "notice",
	}
	if r.cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(r.busPort), "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", strconv.Itoa(int(clusterNodeTimeout.Milliseconds())),
			"--cluster-replica-validity-factor", "0")
	}
	if r.socket != "" {
		args = append(args, "--unixsocket", r.socket, "--unixsocketperm", "700")
	}
	if r.durable {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	cmd := exec.Command(redisServerPath, args...)
	cmd.Dir = r.dir
	r.proc = startProcess(t, "redis-server", cmd)
	if err := r.waitPing(redisStartTimeout); err != nil {
		t.Fatalf("testenv: redis-server on %s did not answer PING: %v\n--- log ---\n%s", r.Addr(), err, r.proc.Logs())
	}
}

// waitPing pings the server every redisPollInterval until it answers PONG, the process
// exits, or timeout passes.
func (r *Redis) waitPing(timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(redisPollInterval)
	defer tick.Stop()
	for {
		err := ping(r.Addr())
		if err == nil {
			return nil
		}
		select {
		case <-r.proc.done:
			return fmt.Errorf("redis-server exited (%v); last PING: %w", r.proc.err, err)
		case <-deadline.C:
			return fmt.Errorf("timed out after %v; last PING: %w", timeout, err)
		case <-tick.C:
		}
	}
}

// ping sends one RESP PING to addr and expects +PONG.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return fmt.Errorf("write PING: %w", err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read reply: %w", err)
	}
	if line != "+PONG\r\n" {
		// While loading its data, Redis answers -LOADING.
		return fmt.Errorf("reply %q", line)
	}
	return nil
}

// advanceTTLsScript shortens the expiry of every key that has one by ARGV[1] ms,
// deleting those it would have reached, and returns how many it deleted.
const advanceTTLsScript = `
local d, gone = tonumber(ARGV[1]), 0
for _, k in ipairs(redis.call("KEYS", "*")) do
  local left = redis.call("PTTL", k)
  if left > 0 then
    if left <= d then
      redis.call("DEL", k)
      gone = gone + 1
    else
      redis.call("PEXPIRE", k, left - d)
    end
  end
end
return gone
`

// AdvanceTTLs lets d pass for every key's expiry, as if the server's clock had moved
// on by d: keys whose time-to-live is d or less are deleted, the others keep d less.
// With a GatewayClock moved by the same d, a Redis session store's expiries follow
// the gateway's clock. It returns how many keys expired. Only for a small test server:
// it walks every key (KEYS *) in one script.
func (r *Redis) AdvanceTTLs(t testing.TB, d time.Duration) int {
	t.Helper()
	RequireFile(t, redisCLIPath, "redis-cli")
	out, err := exec.Command(redisCLIPath, "-h", "127.0.0.1", "-p", strconv.Itoa(r.port),
		"EVAL", advanceTTLsScript, "0", strconv.FormatInt(d.Milliseconds(), 10)).CombinedOutput()
	if err != nil {
		t.Fatalf("testenv: advance the TTLs on %s: %v\n%s", r.Addr(), err, out)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("testenv: advance the TTLs on %s: reply %q", r.Addr(), out)
	}
	return n
}
