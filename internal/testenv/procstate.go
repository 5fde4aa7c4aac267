package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// threadStates describes each thread of process pid from /proc, one line each: its
// name, scheduler state (R running, S sleeping, D in uninterruptible wait), CPU time,
// the kernel function it waits in and, where readable, the system call it is in. A test
// logs it when a process stops making progress, to tell a busy process from a blocked
// one. It reads what it can and never fails.
func threadStates(pid int) string {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Sprintf("(no threads to show: %v)", err)
	}
	tick := float64(clockTicks)
	var lines []string
	for _, e := range entries {
		task := filepath.Join(dir, e.Name())
		name, state, cpu := taskStat(task)
		wchan := readTrimmed(filepath.Join(task, "wchan"))
		sys := readTrimmed(filepath.Join(task, "syscall"))
		if f := strings.Fields(sys); len(f) > 0 {
			sys = f[0] // the number; the arguments are addresses
		}
		lines = append(lines, fmt.Sprintf("tid %s %s state %s cpu %.2fs wchan %s syscall %s",
			e.Name(), name, state, float64(cpu)/tick, orDash(wchan), orDash(sys)))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// clockTicks is Linux's USER_HZ, the unit of the CPU times in /proc/PID/stat: 100 on
// every architecture Go supports.
const clockTicks = 100

// taskStat returns a thread's name, state and CPU time (user + system, in clock ticks)
// from its stat file; the name is in parentheses and may hold spaces.
func taskStat(task string) (name, state string, cpu int64) {
	b, err := os.ReadFile(filepath.Join(task, "stat"))
	if err != nil {
		return "?", "?", 0
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "?", "?", 0
	}
	name = s[open+1 : end]
	f := strings.Fields(s[end+1:]) // f[0] is field 3 (state); utime and stime are fields 14 and 15
	if len(f) < 13 {
		return name, "?", 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return name, f[0], utime + stime
}

func readTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func orDash(s string) string {
	if s == "" || s == "0" {
		return "-"
	}
	return s
}
