package config

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"
)

func TestManagerAppliesWholeOrNotAtAll(t *testing.T) {
	refuse := errors.New("the new IdP cannot be reached")
	var prepErr error
	m := NewManager(Config{ClientID: "old", AllowedGroups: []string{"a"}}, func(context.Context, Config) error { return prepErr })
	if got := m.Current().ClientID; got != "old" {
		t.Fatalf("Current().ClientID = %q, want old", got)
	}
	prepErr = refuse
	if err := m.Apply(context.Background(), Config{ClientID: "new", AllowedGroups: []string{"b"}}); !errors.Is(err, refuse) {
		t.Fatalf("Apply with a failing prepare = %v, want %v", err, refuse)
	}
	if got := m.Current().ClientID; got != "old" || !slices.Equal(m.Rules().AllowedGroups, []string{"a"}) {
		t.Errorf("after a failed Apply: client %q, groups %v; want old and [a] still live", got, m.Rules().AllowedGroups)
	}
	prepErr = nil
	if err := m.Apply(context.Background(), Config{ClientID: "new", AllowedGroups: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	if got := m.Current().ClientID; got != "new" || !slices.Equal(m.Rules().AllowedGroups, []string{"b"}) {
		t.Errorf("after Apply: client %q, groups %v; want new and [b]", got, m.Rules().AllowedGroups)
	}
}

func TestAssertionIssuer(t *testing.T) {
	pub, _ := url.Parse("https://wandb.example.com")
	tests := []struct {
		cfg          Config
		iss, wantAud string
	}{
		{Config{}, "ssogate", "ssogate"},
		{Config{PublicURL: pub}, "https://wandb.example.com", "https://wandb.example.com"},
		{Config{PublicURL: pub, AssertionAudience: "wandb"}, "https://wandb.example.com", "wandb"},
	}
	for _, tt := range tests {
		if iss, aud := tt.cfg.AssertionIssuer(); iss != tt.iss || aud != tt.wantAud {
			t.Errorf("AssertionIssuer() = %q, %q; want %q, %q", iss, aud, tt.iss, tt.wantAud)
		}
	}
}
