package docscheck

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// layoutSection is the text of README.md's "## Layout" section.
func layoutSection(t *testing.T, readme string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		t.Fatal(`README.md has no "## Layout" section`)
	}
	section, _, _ := strings.Cut(after, "\n## ")
	return section
}

// goPackageDirs returns the slash-separated directories under root that hold Go files,
// outside testdata and node_modules, and not root itself (package main has its own row).
func goPackageDirs(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); rel != "." && !seen[rel] {
			seen[rel] = true
			dirs = append(dirs, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// listed reports whether layout names dir: as `dir` or `dir/`, through a folder row of
// an ancestor (`bench/`), by its own name in the internal row (`httperr`), or, for a
// package of test helpers (storetest, idptest), through its parent.
func listed(layout, dir string) bool {
	if strings.Contains(layout, "`"+dir+"`") || strings.Contains(layout, "`"+dir+"/`") {
		return true
	}
	parent, base := path.Dir(dir), path.Base(dir)
	if parent == "internal" {
		return strings.Contains(layout, "`"+base+"`")
	}
	if parent == "." {
		return false
	}
	if strings.HasSuffix(base, "test") {
		return listed(layout, parent)
	}
	for a := parent; a != "."; a = path.Dir(a) {
		if strings.Contains(layout, "`"+a+"/`") {
			return true
		}
	}
	return false
}

func TestListed(t *testing.T) {
	layout := "| `proxy` | x |\n| `session/redisstore` | x |\n| `internal/…` | `httperr` (errors), `testidp` |\n| `bench/` | x |"
	for dir, want := range map[string]bool{
		"proxy": true, "session/redisstore": true, "internal/httperr": true, "bench/cmd/echo": true,
		"internal/testidp/idptest": true, "proxy/sub": false, "ops": false, "internal/logbuf": false,
		"session/storetest": false, // its parent, session, is not listed here
	} {
		if got := listed(layout, dir); got != want {
			t.Errorf("listed(%q) = %v, want %v", dir, got, want)
		}
	}
}

// TestLayoutListsEveryPackage keeps README.md's Layout table complete: a new package
// directory needs its row (or its name in the internal row) to pass.
func TestLayoutListsEveryPackage(t *testing.T) {
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	layout := layoutSection(t, string(b))
	dirs := goPackageDirs(t, root)
	if len(dirs) < 20 {
		t.Fatalf("found only %d package directories; is the walk reading the repository?", len(dirs))
	}
	for _, dir := range dirs {
		if !listed(layout, dir) {
			t.Errorf("README.md's Layout does not list %s: add a row, or its name to the internal/… row", dir)
		}
	}
}
