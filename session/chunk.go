package session

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// Chunking scheme. A sealed value of at most chunkSize characters is one cookie
// named after the store (e.g. "__Host-ssogate"). A longer one is split into
// chunkSize pieces in cookies NAME_0, NAME_1, …, NAME_{n-1}; NAME_0's value is
// prefixed with the decimal chunk count and a dot ("3.…"), which base64url never
// contains. The single cookie and the chunks are never written together: Save
// expires the form it does not use, and every chunk beyond the new count.
const (
	// chunkSize keeps each cookie, with its name and attributes, well under the
	// 4096 bytes browsers guarantee.
	chunkSize = 3800
	// maxChunks bounds the cookies one session may use; beyond it the Cookie
	// header outgrows what proxies accept and a server-side store is the answer.
	maxChunks = 12
	// maxStaleIndex bounds the chunk indexes Save and Delete clean up.
	maxStaleIndex = 64
)

// splitChunks cuts a sealed value into cookie values following the scheme above.
func splitChunks(sealed string) ([]string, error) {
	if len(sealed) <= chunkSize {
		return []string{sealed}, nil
	}
	n := (len(sealed) + chunkSize - 1) / chunkSize
	if n > maxChunks {
		return nil, fmt.Errorf("sealed session is %d bytes, more than %d cookies hold: fewer groups (OIDC_GROUPS_CLAIM, ALLOWED_GROUPS) or SESSION_STORE=redis://… will fit", len(sealed), maxChunks)
	}
	chunks := make([]string, n)
	for i := range chunks {
		chunks[i] = sealed[i*chunkSize : min((i+1)*chunkSize, len(sealed))]
	}
	chunks[0] = strconv.Itoa(n) + "." + chunks[0]
	return chunks, nil
}

// parseChunkCount splits the first chunk's value into the chunk count and the
// first piece of the sealed value.
func parseChunkCount(v string) (int, string, error) {
	count, rest, ok := strings.Cut(v, ".")
	if !ok {
		return 0, "", errors.New("no chunk count")
	}
	if len(count) == 0 || len(count) > 2 || count[0] == '0' {
		return 0, "", fmt.Errorf("bad chunk count %q", count)
	}
	n := 0
	for _, c := range []byte(count) {
		if c < '0' || c > '9' {
			return 0, "", fmt.Errorf("bad chunk count %q", count)
		}
		n = n*10 + int(c-'0')
	}
	if n < 2 || n > maxChunks {
		return 0, "", fmt.Errorf("chunk count %d out of range 2..%d", n, maxChunks)
	}
	return n, rest, nil
}

// cookieValue returns the value of the first cookie called name in the request
// headers. Unlike http.Request.Cookie it allocates nothing, as it runs on every
// proxied request.
func cookieValue(h http.Header, name string) (string, bool) {
	for _, line := range h["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, ok := strings.Cut(textproto.TrimString(part), "=")
			if !ok || k != name {
				continue
			}
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			return v, true
		}
	}
	return "", false
}

// presentChunks returns the indexes of the chunk cookies of base that the
// request carries, each once, in header order.
func presentChunks(h http.Header, base string) []int {
	var seen [maxStaleIndex]bool
	var out []int
	prefix := base + "_"
	for _, line := range h["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, _, _ := strings.Cut(textproto.TrimString(part), "=")
			suffix, ok := strings.CutPrefix(k, prefix)
			if !ok {
				continue
			}
			i, err := strconv.Atoi(suffix)
			if err != nil || i < 0 || i >= maxStaleIndex || suffix != strconv.Itoa(i) || seen[i] {
				continue
			}
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}
