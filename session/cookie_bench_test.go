package session

import (
	"fmt"
	"testing"
)

// BenchmarkCookieStoreLoad measures what every authenticated request pays to read its
// session: find the cookie (or chunks), base64-decode, open the seal, decode the JSON
// identity and check the expiry.
func BenchmarkCookieStoreLoad(b *testing.B) {
	for _, groups := range []int{5, 50, 200} {
		b.Run(fmt.Sprintf("groups=%d", groups), func(b *testing.B) {
			s := newTestStore(b, false)
			_, jar := saveTo(b, s, nil, testSession(groups))
			r := requestWith(jar)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Load(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
