package testenv

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	// redisCLIPath is Debian's redis-cli, installed with redis-server.
	redisCLIPath = "/usr/bin/redis-cli"
	// clusterNodeTimeout is the cluster's cluster-node-timeout: a master silent
	// this long is failed over to its replica, so a test's failover takes seconds.
	clusterNodeTimeout = 1000 * time.Millisecond
	// clusterWait bounds how long a cluster may take to form or to fail over.
	clusterWait = 30 * time.Second
)

// RedisCluster is a Redis Cluster of three masters and three replicas, six
// redis-server processes on 127.0.0.1 created with redis-cli --cluster create.
type RedisCluster struct {
	nodes []*Redis
}

// StartRedisCluster starts six cluster-enabled redis-servers, joins them into three
// masters with one replica each, and waits until every node reports cluster_state:ok.
// The servers keep nothing on disk and are stopped by PID in t.Cleanup.
func StartRedisCluster(t testing.TB) *RedisCluster {
	t.Helper()
	RequireFile(t, redisServerPath, "redis-server")
	c := &RedisCluster{}
	addrs := make([]string, 6)
	for i := range addrs {
		r := &Redis{port: FreePort(t), busPort: FreePort(t), dir: t.TempDir(), cluster: true}
		r.Start(t)
		c.nodes = append(c.nodes, r)
		addrs[i] = r.Addr()
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := redisCLI(args...); err != nil {
		t.Fatalf("testenv: redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitOK(c.nodes, clusterWait); err != nil {
		t.Fatalf("testenv: Redis Cluster did not form: %v", err)
	}
	if err := c.waitReplicas(clusterWait); err != nil {
		t.Fatalf("testenv: Redis Cluster replicas did not sync: %v", err)
	}
	return c
}

// URL returns the SESSION_STORE form of the cluster: the first node, the others
// as more seeds, cluster=true.
func (c *RedisCluster) URL() string {
	var b strings.Builder
	b.WriteString("redis://" + c.nodes[0].Addr() + "?cluster=true")
	for _, n := range c.nodes[1:] {
		b.WriteString("&addr=" + n.Addr())
	}
	return b.String()
}

// Addrs returns every node's address, stopped ones included.
func (c *RedisCluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// Masters returns the addresses of the nodes that are masters now.
func (c *RedisCluster) Masters(t testing.TB) []string {
	t.Helper()
	var masters []string
	for _, n := range c.nodes {
		if n.proc.exited() {
			continue
		}
		out, err := redisCLI("-p", strconv.Itoa(n.port), "role")
		if err != nil {
			t.Fatalf("testenv: redis-cli role on %s: %v", n.Addr(), err)
		}
		if strings.HasPrefix(out, "master") {
			masters = append(masters, n.Addr())
		}
	}
	return masters
}

// Keys returns the keys matching pattern on every live master.
func (c *RedisCluster) Keys(t testing.TB, pattern string) []string {
	t.Helper()
	var keys []string
	for _, m := range c.Masters(t) {
		_, port, _ := net.SplitHostPort(m)
		out, err := redisCLI("-p", port, "--raw", "keys", pattern)
		if err != nil {
			t.Fatalf("testenv: KEYS on %s: %v\n%s", m, err, out)
		}
		keys = append(keys, strings.Fields(out)...)
	}
	return keys
}

// MasterOf returns the address of the node serving key's slot.
func (c *RedisCluster) MasterOf(t testing.TB, key string) string {
	t.Helper()
	for _, n := range c.nodes {
		if n.proc.exited() {
			continue
		}
		out, err := redisCLI("-p", strconv.Itoa(n.port), "cluster", "keyslot", key)
		if err != nil {
			continue
		}
		slot, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			t.Fatalf("testenv: cluster keyslot %q: %q", key, out)
		}
		out, err = redisCLI("-p", strconv.Itoa(n.port), "cluster", "slots")
		if err != nil {
			continue
		}
		// redis-cli prints each range as: start, end, then ip, port, id of the
		// master and of each replica, one value per line.
		lines := strings.Fields(out)
		for i := 0; i+3 < len(lines); i++ {
			lo, err1 := strconv.Atoi(lines[i])
			hi, err2 := strconv.Atoi(lines[i+1])
			if err1 == nil && err2 == nil && lo <= slot && slot <= hi && net.ParseIP(lines[i+2]) != nil {
				return net.JoinHostPort(lines[i+2], lines[i+3])
			}
		}
	}
	t.Fatalf("testenv: no live node knows the master of %q", key)
	return ""
}

// Kill ends the node at addr with SIGKILL, as a crashed host would: no graceful
// hand-over to its replica, which must notice the silence and take over.
func (c *RedisCluster) Kill(t testing.TB, addr string) {
	t.Helper()
	for _, n := range c.nodes {
		if n.Addr() == addr {
			n.proc.kill(t)
			return
		}
	}
	t.Fatalf("testenv: %s is not a node of the cluster", addr)
}

// WaitHealthy waits until every live node reports cluster_state:ok (after a
// failover: a replica has taken over the stopped master's slots).
func (c *RedisCluster) WaitHealthy(t testing.TB) {
	t.Helper()
	var live []*Redis
	for _, n := range c.nodes {
		if !n.proc.exited() {
			live = append(live, n)
		}
	}
	if err := c.waitOK(live, clusterWait); err != nil {
		t.Fatalf("testenv: Redis Cluster did not recover: %v", err)
	}
}

// waitOK polls nodes until each reports cluster_state:ok, or timeout passes.
func (c *RedisCluster) waitOK(nodes []*Redis, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var bad string
		for _, n := range nodes {
			out, err := redisCLI("-p", strconv.Itoa(n.port), "cluster", "info")
			if err != nil || !strings.Contains(out, "cluster_state:ok") {
				bad = fmt.Sprintf("%s: %v %q", n.Addr(), err, firstLine(out))
				break
			}
		}
		if bad == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v, %s", timeout, bad)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReplicas polls until three nodes are replicas whose link to their master is
// up: a replica that never synced would refuse to take over.
func (c *RedisCluster) waitReplicas(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		up := 0
		for _, n := range c.nodes {
			out, err := redisCLI("-p", strconv.Itoa(n.port), "info", "replication")
			if err == nil && strings.Contains(out, "role:slave") && strings.Contains(out, "master_link_status:up") {
				up++
			}
		}
		if up == 3 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v, %d of 3 replicas linked to their master", timeout, up)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// redisCLI runs redis-cli against 127.0.0.1 with args, bounded by clusterWait.
func redisCLI(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
	defer cancel()
	out, err := exec.CommandContext(ctx, redisCLIPath, append([]string{"-h", "127.0.0.1"}, args...)...).CombinedOutput()
	return string(out), err
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
