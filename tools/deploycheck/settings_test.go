package main

import (
	"slices"
	"strings"
	"testing"
)

// usageFixture has the shapes of `ssogate --help`: a secret with its _FILE variant and an
// alias, and a setting whose own name ends in _FILE.
const usageFixture = `Settings:

  OIDC_ISSUER, --oidc-issuer
      Issuer URL.
  OIDC_CLIENT_SECRET, --oidc-client-secret
  OIDC_CLIENT_SECRET_FILE, --oidc-client-secret-file  (read the value from this file)
  GORILLA_OIDC_SECRET  (accepted as well)
      Client secret.
  SIGNING_KEY_FILE, --signing-key-file
      PEM private key.
  A1, --a1
  A2, --a2
  A3, --a3
  A4, --a4
  A5, --a5
  A6, --a6
  A7, --a7
`

func TestParseSettings(t *testing.T) {
	s, err := ParseSettings(usageFixture)
	if err != nil {
		t.Fatal(err)
	}
	wantBase := []string{"OIDC_ISSUER", "OIDC_CLIENT_SECRET", "SIGNING_KEY_FILE", "A1", "A2", "A3", "A4", "A5", "A6", "A7"}
	if !slices.Equal(s.Base, wantBase) {
		t.Errorf("Base = %v, want %v", s.Base, wantBase)
	}
	for _, name := range []string{"OIDC_CLIENT_SECRET_FILE", "GORILLA_OIDC_SECRET", "SIGNING_KEY_FILE"} {
		if !s.Known[name] {
			t.Errorf("Known[%s] = false, want true", name)
		}
	}
	for _, name := range []string{"Settings", "SIGNING_KEY_FILE_FILE", "OIDC_ISSUER_FILE"} {
		if s.Known[name] {
			t.Errorf("Known[%s] = true, want false", name)
		}
	}
}

func TestParseSettingsRejectsOtherText(t *testing.T) {
	_, err := ParseSettings("Usage: something else\n  FOO, --foo\n")
	if err == nil || !strings.Contains(err.Error(), "ssogate --help") {
		t.Errorf("ParseSettings(short text) = %v, want an error naming ssogate --help", err)
	}
}
