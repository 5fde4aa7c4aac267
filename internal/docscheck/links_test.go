package docscheck

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// markdownLink is a Markdown link's target: [text](target).
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// headingAnchors returns the anchors GitHub gives the headings of the Markdown file at
// path: lower case, letters, digits, "-" and "_" kept, spaces made "-", and "-1",
// "-2", … after a repeated one.
func headingAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	anchors, seen := map[string]bool{}, map[string]int{}
	inFence := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if inFence || !strings.HasPrefix(line, "#") || !ok {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(title)) {
			switch {
			case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if n, dup := seen[a]; dup {
			seen[a] = n + 1
			a = fmt.Sprintf("%s-%d", a, n+1)
		} else {
			seen[a] = 0
		}
		anchors[a] = true
	}
	return anchors
}

func TestHeadingAnchors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.md")
	text := "# Sessions in Redis\n## Key layout and slots\n```sh\n# not a heading\n```\n### nginx\n## nginx (`deploy/nginx/ssogate.conf.template`)\n### nginx\n## Pages, in English and Korean\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	got := headingAnchors(t, path)
	for _, want := range []string{"sessions-in-redis", "key-layout-and-slots", "nginx", "nginx-deploynginxssogateconftemplate", "nginx-1", "pages-in-english-and-korean"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	if got["not-a-heading"] || len(got) != 6 {
		t.Errorf("anchors %v: want exactly the six headings outside the code block", got)
	}
}

// TestRelativeLinksResolve keeps the documentation's links working: every relative
// link names a file that exists, an anchor names a heading of its page, and no page
// links to itself without an anchor (a leftover of a section moved between pages).
func TestRelativeLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	files := append([]string{filepath.Join(root, "README.md"), filepath.Join(root, "SECURITY.md"), filepath.Join(root, "bench", "README.md")},
		filesUnder(t, root, []string{"docs", "deploy"}, func(p string) bool { return strings.HasSuffix(p, ".md") })...)
	anchors := map[string]map[string]bool{} // page -> its headings' anchors, read once
	checked := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		for _, m := range markdownLink.FindAllStringSubmatch(string(b), -1) {
			link := m[1]
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(link, "#")
			target := file
			if path != "" {
				target = filepath.Join(filepath.Dir(file), path)
			}
			checked++
			switch {
			case path != "" && filepath.Clean(target) == filepath.Clean(file) && anchor == "":
				t.Errorf("%s links to itself (%s): point at a section, or drop the link", rel, link)
			case fileMissing(target):
				t.Errorf("%s links to %s, which does not exist", rel, link)
			case anchor != "" && strings.HasSuffix(target, ".md") && !pageAnchors(t, anchors, target)[anchor]:
				t.Errorf("%s links to %s, but that page has no heading with the anchor %q", rel, link, anchor)
			}
		}
	}
	if checked < 40 {
		t.Fatalf("checked only %d links; is the scan reading README.md, docs/ and deploy/?", checked)
	}
}

// pageAnchors is headingAnchors of path, read once per test and kept in seen.
func pageAnchors(t *testing.T, seen map[string]map[string]bool, path string) map[string]bool {
	path = filepath.Clean(path)
	if seen[path] == nil {
		seen[path] = headingAnchors(t, path)
	}
	return seen[path]
}

func fileMissing(path string) bool {
	_, err := os.Stat(path)
	return err != nil
}
