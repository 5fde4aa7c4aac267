package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	cases := []struct {
		name  string
		live  uint64
		floor int64
		want  int64
	}{
		{"small live memory: the floor", 10 << 20, Floor, Floor},
		{"live memory at floor/1.25: the floor", Floor / 5 * 4, Floor, Floor},
		{"above it: live plus a quarter", 48 << 20, Floor, 60 << 20},
		{"far above it", 400 << 20, Floor, 500 << 20},
		{"no overflow", math.MaxUint64, Floor, math.MaxInt64},
	}
	for _, c := range cases {
		if got := limit(c.live, c.floor); got != c.want {
			t.Errorf("%s: limit(%d, %d) = %d, want %d", c.name, c.live, c.floor, got, c.want)
		}
	}
}

// keepLimit restores the process's soft limit when the test ends.
func keepLimit(t *testing.T) {
	before := Current()
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
}

func TestOperatorGOMEMLIMITWins(t *testing.T) {
	keepLimit(t)
	for _, v := range []string{"300MiB", "off"} {
		debug.SetMemoryLimit(300 << 20) // what the runtime read from GOMEMLIMIT
		lookup := func(name string) (string, bool) { return v, name == "GOMEMLIMIT" }
		if tu := Start(lookup); tu != nil {
			tu.Stop()
			t.Errorf("GOMEMLIMIT=%s: Start returned a tuner, want nil (the operator's setting stands)", v)
		}
		if got := Current(); got != 300<<20 {
			t.Errorf("GOMEMLIMIT=%s: limit %d after Start, want the operator's %d", v, got, 300<<20)
		}
	}
}

func TestDefaultLimitIsTheFloor(t *testing.T) {
	keepLimit(t)
	debug.SetMemoryLimit(math.MaxInt64)
	tu := Start(func(string) (string, bool) { return "", false })
	defer tu.Stop()
	if tu == nil {
		t.Fatal("GOMEMLIMIT unset: Start returned nil, want a tuner")
	}
	// A test binary's live memory is a few MiB, far below the floor.
	if got := Current(); got != Floor {
		t.Errorf("limit %d, want Floor %d", got, Floor)
	}
}

func TestLimitFollowsLiveMemory(t *testing.T) {
	keepLimit(t)
	const floor = 1 << 20
	tu := start(func(string) (string, bool) { return "", false }, floor)
	defer tu.Stop()
	const live = 64 << 20
	held := make([]byte, live)
	for i := range held { // touch it, so that it is memory the process really holds
		held[i] = 1
	}
	deadline := time.Now().Add(10 * time.Second)
	for Current() < live+live/4 {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d after collections with %d bytes live, want at least %d", Current(), live, live+live/4)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // let the cleanup goroutine run after the collection
	}
	runtime.KeepAlive(held) // from here on it is garbage
	// Once the memory is free again, the limit comes down with it.
	for Current() >= live {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d after the %d bytes were freed, want below %d", Current(), live, live)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
