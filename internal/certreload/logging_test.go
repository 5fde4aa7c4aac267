package certreload

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// poll runs n rounds of what a busy gateway does: a handshake after each check
// interval, and the background check in between.
func poll(t *testing.T, r *Reloader, clock *testenv.Clock, n int) {
	t.Helper()
	for range n {
		clock.Advance(CheckInterval + time.Second)
		if _, err := r.GetCertificate(nil); err != nil {
			t.Fatalf("GetCertificate: %v", err)
		}
		r.Check()
	}
}

// reloadRecords returns the reloader's log lines, in order.
func reloadRecords(logs string) []map[string]any {
	return testenv.LogRecords(logs, func(rec map[string]any) bool {
		msg := testenv.Str(rec, "msg")
		return msg == MsgFailed || msg == MsgReloaded || msg == MsgRecovered
	})
}

// TestAFailedReloadIsLoggedOncePerChange: a pair that fails to load keeps the old one
// in use and is logged once with the settings, the paths and the reason, not on every
// handshake; each later change is logged once too, and the reload that fixes it says
// it recovered.
func TestAFailedReloadIsLoggedOncePerChange(t *testing.T) {
	first, second, third := newPair(t, "first.example.com"), newPair(t, "second.example.com"), newPair(t, "third.example.com")
	fx := newFixture(t, first)
	f, r, clock, logs, start := fx.files, fx.r, fx.clock, fx.logs, fx.start

	steps := []struct {
		name   string
		change func(mtime time.Time)
		msg    string // the one line this change logs
		reason string // in the error of a failed reload
		serves pair
	}{
		{"the new certificate arrives before its key", func(m time.Time) { write(t, f.cert, second.certPEM, m) },
			MsgFailed, "private key does not match public key", first},
		{"the certificate is truncated", func(m time.Time) { write(t, f.cert, []byte("-----BEGIN CERTIFICATE-----\ntruncated"), m) },
			MsgFailed, "failed to find any PEM data in certificate input", first},
		{"the key file is gone", func(time.Time) {
			if err := os.Remove(f.key); err != nil {
				t.Fatal(err)
			}
		}, MsgFailed, "no such file or directory", first},
		{"the new pair is complete", func(m time.Time) { f.write(t, second, m) }, MsgRecovered, "", second},
		{"a renewed pair", func(m time.Time) { f.write(t, third, m) }, MsgReloaded, "", third},
		{"the key is replaced by a certificate", func(m time.Time) { write(t, f.key, third.certPEM, m) },
			MsgFailed, "found a certificate rather than a key", third},
		{"the renewed pair is restored", func(m time.Time) { f.write(t, third, m) }, MsgRecovered, "", third},
	}
	poll(t, r, clock, 20)
	if got := reloadRecords(logs.String()); len(got) != 0 {
		t.Fatalf("got %d reload lines with the files unchanged, want none; the first: %v", len(got), got[0])
	}
	var want []string
	for i, s := range steps {
		s.change(start.Add(time.Duration(i+1) * time.Minute))
		poll(t, r, clock, 50)
		serves(t, r, s.serves, s.name)

		want = append(want, s.msg)
		recs := reloadRecords(logs.String())
		var got []string
		for _, rec := range recs {
			got = append(got, testenv.Str(rec, "msg"))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("after %q and 50 handshakes and checks: got log lines %q, want %q", s.name, got, want)
		}
		last := recs[len(recs)-1]
		if testenv.Str(last, "TLS_CERT_FILE") != f.cert || testenv.Str(last, "TLS_KEY_FILE") != f.key {
			t.Errorf("%s: got %v, want TLS_CERT_FILE=%s and TLS_KEY_FILE=%s", s.name, last, f.cert, f.key)
		}
		if s.reason != "" && !strings.Contains(testenv.Str(last, "error"), s.reason) {
			t.Errorf("%s: got error %q, want the reason %q", s.name, testenv.Str(last, "error"), s.reason)
		}
		if s.msg == MsgFailed && testenv.Str(last, "level") != "ERROR" {
			t.Errorf("%s: got level %q, want ERROR", s.name, testenv.Str(last, "level"))
		}
	}
	for _, p := range []pair{first, second, third} {
		if body := keyBody(p.keyPEM); strings.Contains(logs.String(), body) {
			t.Fatalf("the log shows key material: %s", logs.String())
		}
	}
}

// keyBody is the first base64 line of a PEM key: what a leak would show.
func keyBody(keyPEM []byte) string {
	return strings.Split(string(keyPEM), "\n")[1]
}

// TestGetCertificateChecksTheFilesOnlyEveryInterval: handshakes within the check
// interval neither read the files nor log, however many there are.
func TestGetCertificateChecksTheFilesOnlyEveryInterval(t *testing.T) {
	first, second := newPair(t, "first.example.com"), newPair(t, "second.example.com")
	fx := newFixture(t, first)
	f, r, clock, logs, start := fx.files, fx.r, fx.clock, fx.logs, fx.start

	write(t, f.cert, second.certPEM, start.Add(time.Minute))
	for range 1000 {
		serves(t, r, first, "within the check interval")
	}
	if got := reloadRecords(logs.String()); len(got) != 0 {
		t.Fatalf("got %v within the check interval, want no reload attempt yet", got)
	}
	clock.Advance(CheckInterval + time.Second)
	for range 1000 {
		serves(t, r, first, "with a mismatched pair")
	}
	if got := testenv.RecordsWithMsg(logs.String(), MsgFailed); len(got) != 1 {
		t.Fatalf("got %d failure lines after 1000 handshakes, want 1", len(got))
	}
}
