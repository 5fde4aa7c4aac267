package web

import (
	"io/fs"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template/parse"
)

func TestLangFor(t *testing.T) {
	tests := []struct {
		header string
		want   Lang
	}{
		{"", English},
		{"ko", Korean},
		{"ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", Korean},
		{"en-US,en;q=0.9,ko;q=0.8", English},
		{"fr-FR, ko;q=0.5", Korean},
		{"fr-FR, de", English},
		{"en;q=0.4, ko-kr;q=0.6", Korean},
		{"KO", Korean},
		{"ko;q=0, en", English},
		{"ko;q=0", English},
		{"ko;q=bogus", English},
		{"*", English},
		{"kok, ko-", Korean}, // "kok" (Konkani) is not Korean; "ko-" is
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.header != "" {
			r.Header.Set("Accept-Language", tt.header)
		}
		if got := LangFor(r); got != tt.want {
			t.Errorf("LangFor(Accept-Language: %q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// TestStringTablesHaveSameKeys fails when a key is missing in any language, or when
// a translation drops or invents a {placeholder}.
func TestStringTablesHaveSameKeys(t *testing.T) {
	base := English.strings()
	placeholder := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, l := range Languages()[1:] {
		table := l.strings()
		for _, k := range slices.Sorted(maps.Keys(base)) {
			v, ok := table[k]
			if !ok {
				t.Errorf("%s table lacks key %q (English: %q)", l, k, base[k])
				continue
			}
			if v == "" {
				t.Errorf("%s table has an empty text for %q", l, k)
			}
			want := slices.Sorted(slices.Values(placeholder.FindAllString(base[k], -1)))
			got := slices.Sorted(slices.Values(placeholder.FindAllString(v, -1)))
			if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
				t.Errorf("%s %q has placeholders %v, English has %v", l, k, got, want)
			}
		}
		for k := range table {
			if _, ok := base[k]; !ok {
				t.Errorf("%s table has key %q that the English table lacks", l, k)
			}
		}
	}
}

// TestTemplateKeysExist fails when a template names a key no table has, or uses a key
// with markup where markup would be shown as text (tx: the title and attributes).
func TestTemplateKeysExist(t *testing.T) {
	table := English.strings()
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	r := newRenderer(t)
	seen := 0
	for _, name := range names {
		page := strings.TrimSuffix(filepath.Base(name), ".html")
		tmpl, ok := r.pages[English][page]
		if !ok {
			continue // the layout
		}
		for _, tt := range tmpl.Templates() {
			if tt.Tree == nil {
				continue
			}
			walkKeys(tt.Tree.Root, func(fn, key string) {
				seen++
				v, ok := table[key]
				switch {
				case !ok:
					t.Errorf("%s: {{%s %q}}: no such key in the string tables", name, fn, key)
				case fn == "tx" && strings.Contains(v, "<"):
					t.Errorf("%s: {{tx %q}}: the text has markup, which tx would show as text", name, key)
				}
			})
		}
	}
	if seen < 30 {
		t.Fatalf("found only %d literal keys in the templates; the walk is broken", seen)
	}
}

// walkKeys calls f for every {{t "key" …}} and {{tx "key" …}} with a literal key.
func walkKeys(n parse.Node, f func(fn, key string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkKeys(c, f)
		}
	case *parse.ActionNode:
		walkKeys(n.Pipe, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkKeys(c, f)
		}
	case *parse.CommandNode:
		if len(n.Args) >= 2 {
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "t" || id.Ident == "tx") {
				if s, ok := n.Args[1].(*parse.StringNode); ok {
					f(id.Ident, s.Text)
				}
			}
		}
		for _, a := range n.Args {
			walkKeys(a, f)
		}
	case *parse.IfNode:
		walkBranch(&n.BranchNode, f)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, f)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, f)
	case *parse.TemplateNode:
		walkKeys(n.Pipe, f)
	}
}

func walkBranch(n *parse.BranchNode, f func(fn, key string)) {
	walkKeys(n.Pipe, f)
	walkKeys(n.List, f)
	walkKeys(n.ElseList, f)
}

// TestCodeKeysExist fails when Go code outside this package names a page text by a
// key the tables lack: the page would show the key instead of a sentence. A key is a
// string literal "<group>.<name>…" whose group is one the tables use ("error",
// "forbidden", …); it must be in the tables itself or with ".title" and ".message"
// (an ErrorPage Key).
func TestCodeKeysExist(t *testing.T) {
	table := English.strings()
	groups := map[string]bool{}
	for k := range table {
		g, _, _ := strings.Cut(k, ".")
		groups[g] = true
	}
	keyLiteral := regexp.MustCompile(`"([a-z_]+)\.([a-z0-9_]+(?:\.[a-z0-9_]+)*)"`)
	found := 0
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range keyLiteral.FindAllStringSubmatch(string(src), -1) {
			key := m[1] + "." + m[2]
			if !groups[m[1]] || isFileName(key) || p == filepath.Join("..", "web", "web.go") {
				continue
			}
			found++
			if _, ok := table[key]; ok {
				continue
			}
			for _, suffix := range []string{".title", ".message"} {
				if _, ok := table[key+suffix]; !ok {
					t.Errorf("%s names key %q, but the string tables lack %q", p, key, key+suffix)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("found no message keys in the code; the scan is broken")
	}
}

// isFileName reports whether a key-like literal is a file name (settings.json).
func isFileName(s string) bool {
	switch filepath.Ext(s) {
	case ".json", ".html", ".go", ".css", ".md", ".yaml", ".yml", ".txt", ".golden", ".png":
		return true
	}
	return false
}
