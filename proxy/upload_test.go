package proxy

import (
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// patternReader yields n bytes of a fixed pattern whose period (a prime) lines up with
// no buffer size, so a lost, repeated or reordered chunk changes the checksum.
type patternReader struct {
	block     []byte
	off       int
	remaining int64
}

func newPatternReader(n int64) *patternReader {
	block := make([]byte, 65521)
	for i := range block {
		block[i] = byte(i*7 + i>>8)
	}
	return &patternReader{block: block, remaining: n}
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.remaining {
		b = b[:p.remaining]
	}
	n := 0
	for n < len(b) {
		c := copy(b[n:], p.block[p.off:])
		n += c
		p.off = (p.off + c) % len(p.block)
	}
	p.remaining -= int64(n)
	return n, nil
}

// countingUpstream answers with the byte count and CRC-32 of the body it received.
func countingUpstream(w http.ResponseWriter, r *http.Request) {
	h := crc32.NewIEEE()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "%d %08x", n, h.Sum32())
}

// memPeak samples the process's heap while a test runs.
type memPeak struct {
	stop      chan struct{}
	done      chan struct{}
	heapInuse uint64
	sys       uint64
}

// watchMemory samples runtime.MemStats every 10ms until the returned memPeak's end.
func watchMemory() *memPeak {
	m := &memPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			m.heapInuse = max(m.heapInuse, ms.HeapInuse)
			m.sys = max(m.sys, ms.Sys)
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// end stops sampling and returns the peaks, in MiB.
func (m *memPeak) end() (heapInuseMiB, sysMiB float64) {
	close(m.stop)
	<-m.done
	return float64(m.heapInuse) / (1 << 20), float64(m.sys) / (1 << 20)
}

// wantUpload is countingUpstream's answer to n pattern bytes.
func wantUpload(n int64) string {
	h := crc32.NewIEEE()
	_, _ = io.Copy(h, newPatternReader(n))
	return fmt.Sprintf("%d %08x", n, h.Sum32())
}

// upload POSTs n pattern bytes through the gateway (chunked when chunked is set) and
// checks the upstream answered want.
func upload(t testing.TB, b *browser, n int64, chunked bool, want string) {
	t.Helper()
	req := b.request(http.MethodPost, "/upload", "application/json", newPatternReader(n))
	req.ContentLength = n
	if chunked {
		req.ContentLength = -1
	}
	resp, body := b.do(req)
	if resp.StatusCode != http.StatusOK || body != want {
		t.Errorf("upload of %d bytes (chunked %v): got %d %q, want 200 %q", n, chunked, resp.StatusCode, body, want)
	}
}

func TestLargeUploadStreamsByteExact(t *testing.T) {
	f := newFixture(t, fixtureOptions{upstream: http.HandlerFunc(countingUpstream)})
	b := f.browser()
	b.signIn("/")
	const size = 256 << 20
	want := wantUpload(size)
	for _, chunked := range []bool{false, true} {
		mem := watchMemory()
		start := time.Now()
		upload(t, b, size, chunked, want)
		elapsed := time.Since(start)
		heap, sys := mem.end()
		t.Logf("256 MiB (chunked %v) in %v; peak heap in use %.1f MiB, sys %.1f MiB", chunked, elapsed.Round(time.Millisecond), heap, sys)
		// Buffering the body anywhere would need at least its 256 MiB.
		if heap > 64 {
			t.Errorf("peak heap in use during a 256 MiB upload: got %.1f MiB, want under 64 MiB", heap)
		}
	}
}

// BenchmarkUpload1GiB sends 1 GiB through the gateway per iteration and reports the
// process's peak heap (client, gateway and upstream share it).
func BenchmarkUpload1GiB(b *testing.B) {
	f := newFixture(b, fixtureOptions{upstream: http.HandlerFunc(countingUpstream)})
	br := f.browser()
	br.signIn("/")
	want := wantUpload(1 << 30)
	b.SetBytes(1 << 30)
	mem := watchMemory()
	for b.Loop() {
		upload(b, br, 1<<30, false, want)
	}
	heap, sys := mem.end()
	b.ReportMetric(heap, "peak-heap-MiB")
	b.ReportMetric(sys, "peak-sys-MiB")
}
