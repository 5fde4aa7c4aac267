package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

const stream = `{"Action":"start","Package":"example.com/m/e2e/gateway"}
{"Action":"run","Package":"example.com/m/e2e/gateway","Test":"TestSignIn"}
{"Action":"output","Package":"example.com/m/e2e/gateway","Test":"TestSignIn","Output":"=== RUN   TestSignIn\n"}
{"Action":"output","Package":"example.com/m/e2e/gateway","Test":"TestSignIn","Output":"    require.go:20: end-to-end: skipped: /usr/bin/chromium is missing\n"}
{"Action":"output","Package":"example.com/m/e2e/gateway","Test":"TestSignIn","Output":"--- SKIP: TestSignIn (0.00s)\n"}
{"Action":"skip","Package":"example.com/m/e2e/gateway","Test":"TestSignIn"}
{"Action":"run","Package":"example.com/m/proxy","Test":"TestUnit"}
{"Action":"output","Package":"example.com/m/proxy","Test":"TestBroken","Output":"=== RUN   TestBroken\n"}
{"Action":"output","Package":"example.com/m/proxy","Test":"TestBroken","Output":"    x_test.go:9: got 1, want 2\n"}
{"Action":"output","Package":"example.com/m/proxy","Test":"TestBroken","Output":"        --- gateway log ---\n"}
{"Action":"output","Package":"example.com/m/proxy","Test":"TestBroken","Output":"    x_test.go:40: redis output: a long log\n"}
{"Action":"fail","Package":"example.com/m/proxy","Test":"TestBroken"}
{"Action":"output","Package":"example.com/m/proxy","Test":"TestParent/sub","Output":"    y_test.go:3: the subtest failed\n"}
{"Action":"fail","Package":"example.com/m/proxy","Test":"TestParent/sub"}
{"Action":"fail","Package":"example.com/m/proxy","Test":"TestParent"}
{"Action":"output","Package":"example.com/m/proxy","Test":"TestFine","Output":"    quiet on success\n"}
{"Action":"pass","Package":"example.com/m/proxy","Test":"TestFine"}
{"Action":"skip","Package":"example.com/m/proxy","Test":"TestUnit"}
{"Action":"output","Package":"example.com/m/proxy","Output":"ok  \texample.com/m/proxy\t0.1s\n"}
{"Action":"skip","Package":"example.com/m/e2e/empty"}
{"ImportPath":"example.com/m/broken","Action":"build-output","Output":"broken/x.go:3:1: syntax error\n"}
`

func TestReportFindsSkipsUnderThePrefixes(t *testing.T) {
	var out bytes.Buffer
	res, err := report(strings.NewReader(stream+"# a build error line\n"), &out, []string{"example.com/m/e2e/"})
	if err != nil {
		t.Fatal(err)
	}
	skips := res.skips
	if len(skips) != 1 || skips[0].test != "TestSignIn" || !strings.Contains(skips[0].reason, "chromium is missing") {
		t.Errorf("skips = %+v; want TestSignIn alone, with its reason (a skipped unit test and a package without tests do not count)", skips)
	}
	for _, want := range []string{"got 1, want 2", "ok  \texample.com/m/proxy\t0.1s\n", "# a build error line\n", "syntax error"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	}
	for _, notWant := range []string{"quiet on success", "--- SKIP"} {
		if strings.Contains(out.String(), notWant) {
			t.Errorf("output %q has %q: only failed tests' output is shown", out.String(), notWant)
		}
	}
}

func TestReportWithoutSkips(t *testing.T) {
	res, err := report(strings.NewReader(stream), &bytes.Buffer{}, []string{"example.com/m/ops/"})
	if err != nil || len(res.skips) != 0 {
		t.Errorf("report = %v, %v; want no skips outside the prefixes", res.skips, err)
	}
}

// TestReportListsFailuresWithTheirFirstMessage: the list at the end names each failed
// test with the first line it logged, not the last (a process log printed at cleanup).
func TestReportListsFailuresWithTheirFirstMessage(t *testing.T) {
	res, err := report(strings.NewReader(stream), &bytes.Buffer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []failure{
		{"example.com/m/proxy", "TestBroken", "x_test.go:9: got 1, want 2"},
		{"example.com/m/proxy", "TestParent/sub", "y_test.go:3: the subtest failed"},
		{"example.com/m/proxy", "TestParent", "(no message of its own: see its subtests or the output above)"},
	}
	if len(res.failures) != len(want) {
		t.Fatalf("failures = %+v; want %+v", res.failures, want)
	}
	for i := range want {
		if res.failures[i] != want[i] {
			t.Errorf("failure %d = %+v; want %+v", i, res.failures[i], want[i])
		}
	}
}

func TestShortenCutsOnARuneBoundary(t *testing.T) {
	long := strings.Repeat("é", maxFirst) // two bytes each
	got := shorten(long)
	if !strings.HasSuffix(got, " …") || len(got) > maxFirst+len(" …") || !utf8.ValidString(got) {
		t.Errorf("shorten: %d bytes, valid UTF-8 %v, suffix %q; want at most %d bytes of whole runes and the mark",
			len(got), utf8.ValidString(got), got[len(got)-4:], maxFirst+len(" …"))
	}
	if short := "x_test.go:1: short"; shorten(short) != short {
		t.Errorf("shorten(%q) = %q; want it unchanged", short, shorten(short))
	}
}

// TestReportRepeatsTheFirstMessageAboveALongFailure: after a long log, the lines just
// above "--- FAIL" say why the test failed; a short output is left as it is.
func TestReportRepeatsTheFirstMessageAboveALongFailure(t *testing.T) {
	ev := func(action, output string) string {
		b, _ := json.Marshal(event{Action: action, Package: "p", Test: "TestLong", Output: output})
		return string(b) + "\n"
	}
	in := ev("output", "=== RUN   TestLong\n") + ev("output", "    a_test.go:7: status 500, want 200\n")
	for i := 0; i < longOutput; i++ {
		in += ev("output", "        redis: a log line\n")
	}
	in += ev("output", "--- FAIL: TestLong (90.22s)\n") + ev("fail", "")
	var out bytes.Buffer
	if _, err := report(strings.NewReader(in), &out, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := "    (first message of the test above: a_test.go:7: status 500, want 200)"
	if n := len(lines); n < 2 || lines[n-2] != want || lines[n-1] != "--- FAIL: TestLong (90.22s)" {
		t.Errorf("the output ends with %q; want %q, then the --- FAIL line", lines[max(0, len(lines)-2):], want)
	}

	out.Reset()
	if _, err := report(strings.NewReader(stream), &out, nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "first message of the test above") {
		t.Errorf("a short output got the repeated message:\n%s", out.String())
	}
}

// TestReportKeepsNoticesOfPassingTests: a notice line is listed although its test
// passed (and its other output is dropped).
func TestReportKeepsNoticesOfPassingTests(t *testing.T) {
	in := `{"Action":"output","Package":"p","Test":"TestOK","Output":"    provider.go:155: testenv notice: oidc-provider (pid 7) printed no READY line within 30s\n"}
{"Action":"output","Package":"p","Test":"TestOK","Output":"    provider.go:157: testenv: the whole output\n"}
{"Action":"pass","Package":"p","Test":"TestOK"}
`
	var out bytes.Buffer
	res, err := report(strings.NewReader(in), &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := notice{"p", "TestOK", "testenv notice: oidc-provider (pid 7) printed no READY line within 30s"}
	if len(res.notices) != 1 || res.notices[0] != want {
		t.Errorf("notices = %+v; want [%+v]", res.notices, want)
	}
	if out.Len() != 0 {
		t.Errorf("a passing test's output was printed: %q", out.String())
	}
}
