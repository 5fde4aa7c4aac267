// Command testreport reads `go test -json` on standard input, prints the output
// `go test` without -v would print (each package's result, and the output of the
// tests that failed), and fails when a test in a
// package under one of the -no-skip prefixes was skipped: CI runs every end-to-end
// test, and one that skips there is a missing dependency, not a pass.
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
	"strings"
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

func main() {
	var prefixes stringList
	flag.Var(&prefixes, "no-skip", "import path prefix whose tests must not skip (repeatable)")
	flag.Parse()
	skips, err := report(os.Stdin, os.Stdout, prefixes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if len(skips) > 0 {
		fmt.Fprintf(os.Stderr, "testreport: %d test(s) skipped where every test must run:\n", len(skips))
		for _, s := range skips {
			fmt.Fprintf(os.Stderr, "  %s %s: %s\n", s.pkg, s.test, s.reason)
		}
		os.Exit(1)
	}
}

// report copies the output of the events in r to w and returns the skipped tests of
// packages under prefixes.
func report(r io.Reader, w io.Writer, prefixes []string) ([]skip, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	reason := map[string]string{}         // package + test -> its last line of output
	held := map[string]*strings.Builder{} // package + test -> its output, until it ends
	var skips []skip
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
			b := held[key]
			if b == nil {
				b = &strings.Builder{}
				held[key] = b
			}
			b.WriteString(e.Output)
			if t := strings.TrimSpace(e.Output); t != "" && !strings.HasPrefix(t, "---") && !strings.HasPrefix(t, "===") {
				reason[key] = t
			}
		case "fail":
			if b := held[key]; b != nil {
				io.WriteString(w, b.String())
			}
			delete(held, key)
		case "pass":
			delete(held, key)
		case "skip":
			delete(held, key)
			if e.Test != "" && under(e.Package, prefixes) {
				skips = append(skips, skip{pkg: e.Package, test: e.Test, reason: reason[key]})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading go test -json: %w", err)
	}
	for _, b := range held { // tests that never ended: the binary crashed or timed out
		io.WriteString(w, b.String())
	}
	return skips, nil
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
