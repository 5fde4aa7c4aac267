// Command testreport reads `go test -json` on standard input and prints the output
// `go test` without -v would print: each package's result and the output of the tests
// that failed. A long failure output, such as a process's log printed at cleanup,
// pushes a test's first message far up, so that message is repeated just above the
// "--- FAIL" line of a long output, and the report ends with a list of the failed
// tests and the first message of each. Lines a test helper marks as notices ("testenv
// notice: ", a fault it worked around) are listed too, from passing tests as well. It
// fails when a test in a package under one of the -no-skip prefixes was skipped: CI
// runs every end-to-end test, and one that skips there is a missing dependency, not a
// pass.
//
//	go test -json ./... | go run ./tools/testreport -no-skip github.com/ssogate/ssogate/e2e/
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// skip is a skipped test and the reason it printed.
type skip struct {
	pkg, test, reason string
}

// failure is a failed test and the first message it logged.
type failure struct {
	pkg, test, first string
}

// noticeMark starts a line a test helper logs when it worked around a fault of the
// machine or of a test dependency (internal/testenv's noticePrefix): shown even when
// the test passes, so CI's output says how often it happens.
const noticeMark = "testenv notice: "

// notice is a noticeMark line and the test that logged it.
type notice struct {
	pkg, test, line string
}

// logLine matches a line written by t.Log, t.Error or t.Fatal: "    file.go:12: text".
var logLine = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: `)

// maxFirst bounds the message shown in the list of failed tests.
const maxFirst = 300

func main() {
	var prefixes stringList
	flag.Var(&prefixes, "no-skip", "import path prefix whose tests must not skip (repeatable)")
	flag.Parse()
	res, err := report(os.Stdin, os.Stdout, prefixes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if len(res.notices) > 0 {
		fmt.Printf("testreport: %d notice(s) from the tests:\n", len(res.notices))
		for _, n := range res.notices {
			fmt.Printf("  %s %s: %s\n", n.pkg, n.test, n.line)
		}
	}
	if len(res.failures) > 0 {
		fmt.Printf("testreport: %d test(s) failed; the first message of each:\n", len(res.failures))
		for _, f := range res.failures {
			fmt.Printf("  %s %s: %s\n", f.pkg, f.test, f.first)
		}
	}
	skips := res.skips
	if len(skips) > 0 {
		fmt.Fprintf(os.Stderr, "testreport: %d test(s) skipped where every test must run:\n", len(skips))
		for _, s := range skips {
			fmt.Fprintf(os.Stderr, "  %s %s: %s\n", s.pkg, s.test, s.reason)
		}
		os.Exit(1)
	}
}

// result is what report found besides the output it copied.
type result struct {
	skips    []skip    // skipped tests of packages under the -no-skip prefixes
	failures []failure // failed tests, in the order they ended
	notices  []notice  // noticeMark lines, passed or failed
}

// testOutput is what a running test has printed, held until it ends.
type testOutput struct {
	text  strings.Builder
	first string // its first logged message (logLine), cut by shorten
	last  string // its last line that is not a "---" or "===" line
}

// report copies the output of the events in r to w and returns the failed tests and
// the skipped tests of packages under prefixes.
func report(r io.Reader, w io.Writer, prefixes []string) (result, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	held := map[string]*testOutput{} // package + test -> its output, until it ends
	var res result
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event (a build error printed before the tests): pass it on.
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output", "build-output":
			if e.Test == "" {
				io.WriteString(w, e.Output)
				continue
			}
			o := held[key]
			if o == nil {
				o = &testOutput{}
				held[key] = o
			}
			o.text.WriteString(e.Output)
			if t := strings.TrimSpace(e.Output); t != "" && !strings.HasPrefix(t, "---") && !strings.HasPrefix(t, "===") {
				o.last = t
			}
			if o.first == "" && logLine.MatchString(e.Output) {
				o.first = shorten(strings.TrimSpace(e.Output))
			}
			if i := strings.Index(e.Output, noticeMark); i >= 0 {
				res.notices = append(res.notices, notice{pkg: e.Package, test: e.Test, line: strings.TrimSpace(e.Output[i:])})
			}
		case "fail":
			o := held[key]
			delete(held, key)
			msg := "(no message of its own: see its subtests or the output above)"
			if o != nil {
				out := o.text.String()
				if o.first != "" {
					msg = o.first
					out = repeatFirst(out, msg)
				}
				io.WriteString(w, out)
			}
			if e.Test != "" {
				res.failures = append(res.failures, failure{pkg: e.Package, test: e.Test, first: msg})
			}
		case "pass":
			delete(held, key)
		case "skip":
			o := held[key]
			delete(held, key)
			if e.Test != "" && under(e.Package, prefixes) {
				s := skip{pkg: e.Package, test: e.Test}
				if o != nil {
					s.reason = o.last
				}
				res.skips = append(res.skips, s)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return result{}, fmt.Errorf("reading go test -json: %w", err)
	}
	for _, o := range held { // tests that never ended: the binary crashed or timed out
		io.WriteString(w, o.text.String())
	}
	return res, nil
}

// longOutput is the number of lines of a failed test's output above which its first
// message is repeated just above its "--- FAIL" line.
const longOutput = 20

// repeatFirst returns a failed test's output with its first message repeated just
// above the "--- FAIL" line when the output is long, so that its last lines alone
// still say why the test failed.
func repeatFirst(out, first string) string {
	if strings.Count(out, "\n") <= longOutput {
		return out
	}
	i := strings.LastIndex(out, "--- FAIL")
	if i < 0 {
		return out
	}
	start := strings.LastIndexByte(out[:i], '\n') + 1
	return out[:start] + "    (first message of the test above: " + first + ")\n" + out[start:]
}

// shorten cuts s to maxFirst bytes, on a rune boundary, marking the cut.
func shorten(s string) string {
	if len(s) <= maxFirst {
		return s
	}
	cut := maxFirst
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " …"
}

func under(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(pkg, p) {
			return true
		}
	}
	return false
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	if s == "" {
		return errors.New("empty prefix")
	}
	*l = append(*l, s)
	return nil
}
