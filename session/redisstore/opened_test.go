package redisstore_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/ssogate/ssogate/internal/testenv"
	"github.com/ssogate/ssogate/session"
	"github.com/ssogate/ssogate/session/redisstore"
)

// TestLoadReusesOnlyAnUnchangedRecord: a replica that opened a session before reuses
// it only while Redis returns the very same record; a change, a deletion or a
// tampered record made elsewhere shows on the next request.
func TestLoadReusesOnlyAnUnchangedRecord(t *testing.T) {
	ctx := context.Background()
	r := testenv.StartRedis(t)
	admin := adminClient(t, r)
	a, b := newStore(t, r.URL(), redisstore.Options{}), newStore(t, r.URL(), redisstore.Options{})
	jar := saveNew(t, a, sample("sess-1", "sid-1", "https://idp.example.com", "alice"))

	first, err := a.Load(requestWith(jar))
	if err != nil {
		t.Fatalf("first Load: %v", err)
	}
	first.Identity.Username = "changed by the caller"
	second, err := a.Load(requestWith(jar))
	if err != nil || second.Identity.Username == "changed by the caller" {
		t.Fatalf("second Load = %q, %v; want the stored session, untouched by the caller's change", second.Identity.Username, err)
	}

	renamed := *second
	renamed.Identity.Username = "alice-renamed"
	jar = saveFrom(t, b, jar, &renamed) // the other replica updates the record
	if got, err := a.Load(requestWith(jar)); err != nil || got.Identity.Username != "alice-renamed" {
		t.Fatalf("Load after B updated the record = %v, %v; want alice-renamed", got, err)
	}

	keys := admin.Keys(ctx, "ssogate:s:*").Val()
	if len(keys) != 1 {
		t.Fatalf("records in Redis: %q, want one", keys)
	}
	good := admin.Get(ctx, keys[0]).Val()
	tampered := []byte(good)
	tampered[len(tampered)-1] ^= 1
	admin.Set(ctx, keys[0], tampered, 0)
	if _, err := a.Load(requestWith(jar)); !errors.Is(err, session.ErrNoSession) {
		t.Fatalf("Load of a tampered record: %v, want ErrNoSession", err)
	}
	admin.Set(ctx, keys[0], good, 0)
	if !loads(t, a, jar) {
		t.Fatal("Load after the record was restored: signed out, want signed in")
	}

	if err := b.Delete(httptest.NewRecorder(), requestWith(jar)); err != nil {
		t.Fatalf("Delete on B: %v", err)
	}
	if loads(t, a, jar) {
		t.Error("A still loads a session B deleted")
	}
}
