package restore

import (
	"sync"
	"time"
)

// Rate-limit defaults: after maxFailures wrong attempts from one client within
// failureWindow, that client is refused for blockFor.
const (
	maxFailures   = 5
	failureWindow = 5 * time.Minute
	blockFor      = 5 * time.Minute
	maxClients    = 10000 // clients tracked at once; the map never grows past it
)

// limiter counts sign-in attempts per client IP. An attempt is counted when it
// starts, not when it fails, so that parallel requests cannot slip past the limit
// while the first ones are still being delayed; a successful attempt forgives the
// client. It is safe for concurrent use.
type limiter struct {
	max     int
	window  time.Duration
	block   time.Duration
	clients int

	mu   sync.Mutex
	byIP map[string]*attempts
}

// attempts is one client's record.
type attempts struct {
	count        int       // attempts since first
	first        time.Time // start of the current window
	blockedUntil time.Time // zero when not blocked
}

func newLimiter() *limiter {
	return &limiter{max: maxFailures, window: failureWindow, block: blockFor, clients: maxClients,
		byIP: make(map[string]*attempts)}
}

// begin records an attempt by ip at now. It returns false and how long to wait when
// ip is blocked; the attempt is then not counted.
func (l *limiter) begin(ip string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.byIP[ip]
	if a != nil && now.Before(a.blockedUntil) {
		return false, a.blockedUntil.Sub(now)
	}
	if a == nil || l.expired(a, now) {
		if a == nil {
			l.makeRoom(now)
		}
		a = &attempts{first: now}
		l.byIP[ip] = a
	}
	a.count++
	if a.count >= l.max {
		a.blockedUntil = now.Add(l.block)
	}
	return true, 0
}

// succeeded forgives ip's attempts after a correct password.
func (l *limiter) succeeded(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byIP, ip)
}

// expired reports whether a record no longer matters at now: its window has passed
// and it is not blocked.
func (l *limiter) expired(a *attempts, now time.Time) bool {
	return now.Sub(a.first) >= l.window && !now.Before(a.blockedUntil)
}

// makeRoom keeps the map under its bound before a new client is added: it drops
// expired records and, when every record still matters, the oldest one. Called with
// l.mu held.
func (l *limiter) makeRoom(now time.Time) {
	if len(l.byIP) < l.clients {
		return
	}
	var oldestIP string
	var oldest time.Time
	for ip, a := range l.byIP {
		if l.expired(a, now) {
			delete(l.byIP, ip)
			continue
		}
		if oldestIP == "" || a.first.Before(oldest) {
			oldestIP, oldest = ip, a.first
		}
	}
	if len(l.byIP) >= l.clients {
		delete(l.byIP, oldestIP)
	}
}

// size is the number of clients tracked, for tests.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byIP)
}
