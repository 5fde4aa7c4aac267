package interop

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/testenv"
)

// The zitadel/oidc v3 example OP as testdata/zitadel-op runs it: its clients, the
// example's user (password "verysecure"; the user name is test-user@ the issuer's
// host) and the groups testdata/zitadel-op adds to the user's claims.
const (
	zitadelPublicClient = "gw-public"
	zitadelConfClient   = "gw-confidential"
	zitadelImplicit     = "gw-implicit"
	zitadelSecret       = "gw-confidential-secret-0123456789"
	zitadelUser         = "test-user@127.0.0.1"
	zitadelPassword     = "verysecure"
	zitadelEmail        = "test-user@zitadel.ch"
	zitadelGroups       = "ml-team,wandb-admins"
	zitadelUserID       = "id1" // the example's ID of zitadelUser
)

// zitadelLogin is what the example OP's login form (/login/username) takes.
var zitadelLogin = url.Values{"username": {zitadelUser}, "password": {zitadelPassword}}

// zitadelOP is a running testdata/zitadel-op: the zitadel/oidc v3.52.0 example OP with
// the clients above, for the gateways at gwAddrs (redirect URI /oidc/callback,
// post-logout redirect URI /).
type zitadelOP struct {
	issuer string
	addr   string
	args   []string
	proc   *testenv.External
}

func startZitadel(t *testing.T, gwAddrs ...string) *zitadelOP {
	t.Helper()
	var redirects, postLogout []string
	for _, a := range gwAddrs {
		redirects = append(redirects, "http://"+a+"/oidc/callback")
		postLogout = append(postLogout, "http://"+a+"/")
	}
	z := &zitadelOP{addr: testenv.FreeAddr(t)}
	z.issuer = "http://" + z.addr + "/"
	z.args = []string{"-addr", z.addr, "-redirect-uri", strings.Join(redirects, ","),
		"-post-logout-uri", strings.Join(postLogout, ","), "-secret", zitadelSecret}
	z.start(t)
	return z
}

// start runs the provider (again, after stop: with empty memory and a new key).
func (z *zitadelOP) start(t *testing.T) {
	t.Helper()
	bin := testenv.IdPBinary(t, "zitadel-op-"+zitadelSourceHash(t), "zitadel-op")
	cmd := exec.Command(bin, z.args...)
	cmd.Dir = t.TempDir()
	z.proc = testenv.StartExternal(t, "zitadel-op", cmd, z.issuer+".well-known/openid-configuration", 30*time.Second)
}

// zitadelSourceHash is the cache key .ci/idps.sh gives testdata/zitadel-op: the first
// 12 hex digits of the SHA-256 of `sha256sum` over its files in name order.
func zitadelSourceHash(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testenv.RepoRoot(t), "testdata", "zitadel-op")
	entries, err := os.ReadDir(dir) // sorted by name, as LC_ALL=C ls
	if err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&list, "%x  %s\n", sha256.Sum256(data), e.Name())
	}
	sum := sha256.Sum256([]byte(list.String()))
	return hex.EncodeToString(sum[:])[:12]
}
