package main

import (
	"bytes"
	"strings"
	"testing"
)

const stream = `{"Action":"start","Package":"example.com/m/e2e/gateway"}
{"Action":"run","Package":"example.com/m/e2e/gateway","Test":"TestSignIn"}
{"Action":"output","Package":"example.com/m/e2e/gateway","Test":"TestSignIn","Output":"=== RUN   TestSignIn\n"}
{"Action":"output","Package":"example.com/m/e2e/gateway","Test":"TestSignIn","Output":"    require.go:20: end-to-end: skipped: /usr/bin/chromium is missing\n"}
{"Action":"output","Package":"example.com/m/e2e/gateway","Test":"TestSignIn","Output":"--- SKIP: TestSignIn (0.00s)\n"}
{"Action":"skip","Package":"example.com/m/e2e/gateway","Test":"TestSignIn"}
{"Action":"run","Package":"example.com/m/proxy","Test":"TestUnit"}
{"Action":"output","Package":"example.com/m/proxy","Test":"TestBroken","Output":"    x_test.go:9: got 1, want 2\n"}
{"Action":"fail","Package":"example.com/m/proxy","Test":"TestBroken"}
{"Action":"output","Package":"example.com/m/proxy","Test":"TestFine","Output":"    quiet on success\n"}
{"Action":"pass","Package":"example.com/m/proxy","Test":"TestFine"}
{"Action":"skip","Package":"example.com/m/proxy","Test":"TestUnit"}
{"Action":"output","Package":"example.com/m/proxy","Output":"ok  \texample.com/m/proxy\t0.1s\n"}
{"Action":"skip","Package":"example.com/m/e2e/empty"}
{"ImportPath":"example.com/m/broken","Action":"build-output","Output":"broken/x.go:3:1: syntax error\n"}
`

func TestReportFindsSkipsUnderThePrefixes(t *testing.T) {
	var out bytes.Buffer
	skips, err := report(strings.NewReader(stream+"# a build error line\n"), &out, []string{"example.com/m/e2e/"})
	if err != nil {
		t.Fatal(err)
	}
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
	skips, err := report(strings.NewReader(stream), &bytes.Buffer{}, []string{"example.com/m/ops/"})
	if err != nil || len(skips) != 0 {
		t.Errorf("report = %v, %v; want no skips outside the prefixes", skips, err)
	}
}
