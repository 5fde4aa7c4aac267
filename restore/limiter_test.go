package restore

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	f := newFixture(t, 0)
	cookie, token := f.form(t)
	const attacker, other = "198.51.100.7:4000", "198.51.100.8:4000"
	for i := range maxFailures {
		if rec := post(f.h, attacker, "", "admin", "guess", cookie, token); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: got %d, want 401", i+1, rec.Code)
		}
	}
	rec := post(f.h, attacker, "", "admin", f.h.Password(), cookie, token)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("after %d failures, even the right password: got %d, want 429", maxFailures, rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "300" {
		t.Errorf("Retry-After: got %q, want %q", got, "300")
	}
	if f.delays != maxFailures {
		t.Errorf("delays: got %d, want %d (none for a refused attempt)", f.delays, maxFailures)
	}
	if rec := post(f.h, other, "", "admin", f.h.Password(), cookie, token); rec.Code != http.StatusSeeOther {
		t.Errorf("another client: got %d, want 303", rec.Code)
	}
	f.now = f.now.Add(blockFor)
	if rec := post(f.h, attacker, "", "admin", f.h.Password(), cookie, token); rec.Code != http.StatusSeeOther {
		t.Errorf("after the block: got %d, want 303", rec.Code)
	}
}

func TestRateLimitUsesClientIPFromMiddleware(t *testing.T) {
	f := newFixture(t, 0)
	cookie, token := f.form(t)
	h := behindProxy(f.h)
	const proxy = "10.0.0.1:3000"
	for range maxFailures {
		post(h, proxy, "203.0.113.7", "admin", "guess", cookie, token)
	}
	tests := []struct {
		client string
		want   int
	}{
		{"203.0.113.7", http.StatusTooManyRequests},
		{"203.0.113.8", http.StatusSeeOther},
	}
	for _, tt := range tests {
		if rec := post(h, proxy, tt.client, "admin", f.h.Password(), cookie, token); rec.Code != tt.want {
			t.Errorf("client %s behind the proxy: got %d, want %d", tt.client, rec.Code, tt.want)
		}
	}
}

func TestLimiterWindow(t *testing.T) {
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		gaps    []time.Duration // time before each attempt, after the previous one
		wantOK  bool            // whether one more attempt is allowed right after
		forgive bool            // a success after the attempts
	}{
		{"four attempts leave one more", []time.Duration{0, 1, 1, 1}, true, false},
		{"five attempts block", []time.Duration{0, 1, 1, 1, 1}, false, false},
		{"five attempts spread over the window do not block", []time.Duration{0, 0, 0, 0, failureWindow}, true, false},
		{"a success forgives", []time.Duration{0, 1, 1, 1, 1}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter()
			now := start
			for _, gap := range tt.gaps {
				now = now.Add(gap)
				l.begin("192.0.2.1", now)
			}
			if tt.forgive {
				l.succeeded("192.0.2.1")
			}
			if got, _ := l.begin("192.0.2.1", now); got != tt.wantOK {
				t.Errorf("next attempt allowed: got %v, want %v", got, tt.wantOK)
			}
		})
	}
}

func TestLimiterIsBounded(t *testing.T) {
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	l := newLimiter()
	l.clients = 3
	for i := range 10 {
		l.begin(fmt.Sprintf("192.0.2.%d", i), start.Add(time.Duration(i)*time.Second))
		if got := l.size(); got > l.clients {
			t.Fatalf("after %d clients: got %d tracked, want at most %d", i+1, got, l.clients)
		}
	}
	blocked := "198.51.100.1"
	for range maxFailures {
		l.begin(blocked, start.Add(time.Minute))
	}
	// Expired records go before a blocked client is evicted.
	later := start.Add(failureWindow + 30*time.Second) // the others expired, the block lasts until 6m
	l.begin("198.51.100.2", later)
	l.begin("198.51.100.3", later)
	if ok, _ := l.begin(blocked, later); ok {
		t.Errorf("blocked client after pruning: got allowed, want still blocked")
	}
}
