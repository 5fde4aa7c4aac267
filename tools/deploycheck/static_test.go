package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build compiles testdata/dir with cgo on or off and returns the binary's path.
func build(t *testing.T, dir string, cgo bool) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), dir)
	cmd := exec.Command("go", "build", "-o", out, "./testdata/"+dir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+map[bool]string{true: "1", false: "0"}[cgo])
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, b)
	}
	return out
}

func TestCheckStaticAcceptsPureGo(t *testing.T) {
	if err := CheckStatic(build(t, "static", false)); err != nil {
		t.Errorf("CheckStatic(pure Go, CGO_ENABLED=0) = %v, want nil", err)
	}
}

func TestCheckStaticRejectsCgo(t *testing.T) {
	err := CheckStatic(build(t, "cgo", true))
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") {
		t.Errorf("CheckStatic(cgo binary) = %v, want a dynamically linked error", err)
	}
}

func TestCheckStaticRejectsNonELF(t *testing.T) {
	if err := CheckStatic("static_test.go"); err == nil {
		t.Error("CheckStatic(a Go source file) = nil, want an error")
	}
}
