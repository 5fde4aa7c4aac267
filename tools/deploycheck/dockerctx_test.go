package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCopyContextHonoursDockerignore(t *testing.T) {
	root, dst := t.TempDir(), t.TempDir()
	files := map[string]string{
		".dockerignore":             "# comment\n.git\n**/testdata\ndocs\n**/*.test\n!keep.test\n",
		"go.mod":                    "module x\n",
		"main.go":                   "package main\n",
		"web/templates/page.html":   "<p>",
		".git/HEAD":                 "ref",
		"pkg/testdata/fixture.json": "{}",
		"docs/deploy.md":            "#",
		"pkg/x.test":                "bin",
		"keep.test":                 "kept by !",
	}
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, err := CopyContext(root, dst)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dst, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	slices.Sort(got)
	want := []string{".dockerignore", "go.mod", "keep.test", "main.go", "web/templates/page.html"}
	if !slices.Equal(got, want) || n != len(want) {
		t.Errorf("copied %d files %v, want %v", n, got, want)
	}
}
