package redisstore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/ssogate/ssogate/session"
)

// Redis key layout. Every name that derives from a secret or an identifier is a
// SHA-256 digest, so a key listing reveals neither session IDs nor users. The part
// in braces is the Redis Cluster hash tag: a session's record is alone in its
// slot (with its meta key), each index set in its own, and every revocation in the one slot "rev", so
// a script touches one slot and a revocation check is one MGET.
const (
	recordPrefix  = "ssogate:s:"         // + {member}: the sealed session
	metaPrefix    = "ssogate:m:"         // + {member}: hash of info (sealed summary), created, seen
	createdKey    = "ssogate:created"    // sorted set: member → creation (Unix ms), for the listing
	sidPrefix     = "ssogate:sid:"       // + {digest(sid)}: set of members
	subjectPrefix = "ssogate:sub:"       // + {digest(issuer, sub)}: set of members
	activeKey     = "ssogate:active"     // sorted set: member → expiry (Unix ms, Redis clock)
	lockPrefix    = "ssogate:lock:"      // + digest(session ID)
	revSIDPrefix  = "ssogate:{rev}:sid:" // + digest(sid): revocation time (Unix ms)
	revSubPrefix  = "ssogate:{rev}:sub:" // + digest(issuer, sub)
	// + digest(username), digest(lower-case email): an administrator's revocation
	revUserPrefix  = "ssogate:{rev}:user:"
	revEmailPrefix = "ssogate:{rev}:email:"

	// The revocation keys before hash tags, still read on a single node until
	// they expire (SESSION_LENGTH after an upgrade).
	legacyRevSIDPrefix = "ssogate:rev:"
	legacyRevSubPrefix = "ssogate:revsub:"
)

const (
	// purposeTicket seals the ticket cookie; distinct from the cookie store's
	// purpose, so neither cookie opens as the other.
	purposeTicket = "redis-ticket"
	// maxIDLen bounds the session ID a ticket carries.
	maxIDLen = 256
	// recordAD prefixes the associated data of a sealed record.
	recordAD = "ssogate redis session v1\x00"
)

// ticket is what the cookie carries: the session ID and the per-session key that
// seals the session's record in Redis. Without the cookie, a Redis dump is noise.
type ticket struct {
	id  string
	key [chacha20poly1305.KeySize]byte
}

// newTicket returns a ticket for session id with a fresh random key.
func newTicket(id string) ticket {
	t := ticket{id: id}
	rand.Read(t.key[:]) // never returns an error
	return t
}

// member names the session in Redis: the digest of its ID.
func (t ticket) member() string { return digest(t.id) }

// seal encodes t as a cookie value sealed by codec.
func (t ticket) seal(codec *session.Codec) string {
	payload := make([]byte, 0, len(t.key)+len(t.id))
	payload = append(payload, t.key[:]...)
	payload = append(payload, t.id...)
	return codec.Seal(purposeTicket, payload)
}

// openTicket opens a cookie value sealed by ticket.seal. Any failure wraps
// session.ErrNoSession.
func openTicket(codec *session.Codec, value string) (ticket, error) {
	payload, err := codec.Open(purposeTicket, value)
	if err != nil {
		return ticket{}, fmt.Errorf("%w: %w: %w", session.ErrNoSession, session.ErrCookieRefused, err)
	}
	var t ticket
	if len(payload) <= len(t.key) || len(payload) > len(t.key)+maxIDLen {
		return ticket{}, fmt.Errorf("%w: %w: ticket of %d bytes", session.ErrNoSession, session.ErrCookieRefused, len(payload))
	}
	copy(t.key[:], payload)
	t.id = string(payload[len(t.key):])
	return t, nil
}

// sealRecord encrypts a session's JSON with the ticket's key. The record is bound
// to its member, so it opens under no other name.
func (t ticket) sealRecord(plain []byte) []byte {
	aead, err := chacha20poly1305.NewX(t.key[:])
	if err != nil {
		panic(err) // unreachable: the key has the right size
	}
	out := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plain)+aead.Overhead())
	rand.Read(out)
	return aead.Seal(out, out, plain, t.recordAD())
}

// openRecord decrypts a record sealed by sealRecord. Any failure wraps
// session.ErrNoSession: the record belongs to another ticket.
func (t ticket) openRecord(sealed []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(t.key[:])
	if err != nil {
		panic(err) // unreachable: the key has the right size
	}
	if len(sealed) < chacha20poly1305.NonceSizeX+aead.Overhead() {
		return nil, fmt.Errorf("%w: session record of %d bytes is too short", session.ErrNoSession, len(sealed))
	}
	nonce, ct := sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:]
	plain, err := aead.Open(nil, nonce, ct, t.recordAD())
	if err != nil {
		return nil, fmt.Errorf("%w: session record does not open with this ticket: %w", session.ErrNoSession, err)
	}
	return plain, nil
}

func (t ticket) recordAD() []byte { return []byte(recordAD + t.member()) }

// recordKey is the Redis key of the record named member.
func recordKey(member string) string { return recordPrefix + tag(member) }

// metaKey is the key of what the admin listing shows of the session named member:
// in the record's slot.
func metaKey(member string) string { return metaPrefix + tag(member) }

// tag wraps s in braces: the Redis Cluster hash tag that puts every key naming it
// in one slot.
func tag(s string) string { return "{" + s + "}" }

// indexKeys returns the index sets a session belongs to: by IdP session ID and by
// subject, when the identity has them.
func indexKeys(s *session.Session) []string {
	var keys []string
	if s.Identity.SessionID != "" {
		keys = append(keys, sidKey(s.Identity.SessionID))
	}
	if s.Identity.Subject != "" {
		keys = append(keys, subjectKey(s.Identity.Issuer, s.Identity.Subject))
	}
	return keys
}

// sidKey is the index set of IdP session sid.
func sidKey(sid string) string { return sidPrefix + tag(digest(sid)) }

// subjectKey is the index set of subject sub at issuer.
func subjectKey(issuer, sub string) string { return subjectPrefix + tag(digest(issuer, sub)) }

// digest returns the hex SHA-256 of parts joined by NUL, which no issuer URL
// contains, so distinct tuples never collide by concatenation.
func digest(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// errNoTicket is reported when the request has no ticket cookie.
var errNoTicket = errors.New("no session cookie")
