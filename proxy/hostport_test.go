package proxy

import (
	"net/url"
	"testing"
)

func TestHostPortDefaultsToPort80(t *testing.T) {
	for raw, want := range map[string]string{
		"http://wandb":          "wandb:80",
		"http://wandb:8080":     "wandb:8080",
		"http://10.0.0.7/":      "10.0.0.7:80",
		"http://[fd00::7]":      "[fd00::7]:80",
		"http://[fd00::7]:8080": "[fd00::7]:8080",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := hostPort(u); got != want {
			t.Errorf("hostPort(%s) = %q, want %q", raw, got, want)
		}
	}
}
