// Command idp serves internal/testidp on loopback for the load benchmark. It registers
// two clients: "ssogate", a public client (no secret) for the gateway in either flow,
// and "oauth2-proxy", a confidential client. It has one user per -groups entry, named
// "bench<N>" with N groups and password "bench<N>", so a sign-in picks its group count
// by user name.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/testidp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18084", "listen address (loopback only)")
	public := flag.String("public-redirects", "", "comma-separated redirect URIs of the public client \"ssogate\"")
	confidential := flag.String("confidential-redirects", "", "comma-separated redirect URIs of the confidential client \"oauth2-proxy\"")
	secret := flag.String("secret", "bench-client-secret", "the confidential client's secret")
	groups := flag.String("groups", "5,50,200", "comma-separated group counts: one user bench<N> per count")
	alg := flag.String("alg", "ES256", "ID token signature algorithm: ES256 or RS256")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Fatalf("idp: -addr %q must be a loopback address such as 127.0.0.1:18084", *addr)
	}
	users, err := benchUsers(*groups)
	if err != nil {
		log.Fatalf("idp: %v", err)
	}
	var clients []testidp.Client
	if *public != "" {
		clients = append(clients, testidp.Client{ID: "ssogate", RedirectURIs: strings.Split(*public, ",")})
	}
	if *confidential != "" {
		clients = append(clients, testidp.Client{ID: "oauth2-proxy", Secret: *secret, RedirectURIs: strings.Split(*confidential, ",")})
	}
	p, err := testidp.New(testidp.Options{Issuer: "http://" + *addr, Users: users, Clients: clients, Alg: *alg})
	if err != nil {
		log.Fatalf("idp: %v", err)
	}
	srv := &http.Server{Addr: *addr, Handler: p, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// benchUsers returns one user per group count in list.
func benchUsers(list string) ([]testidp.User, error) {
	var users []testidp.User
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > 10000 {
			return nil, fmt.Errorf("-groups: %q is not a count between 0 and 10000", f)
		}
		name := "bench" + strconv.Itoa(n)
		users = append(users, testidp.User{
			Username: name, Password: name,
			Email: name + "@example.com", EmailVerified: true, Name: "Bench User " + strconv.Itoa(n),
			Groups: groupNames(n),
		})
	}
	return users, nil
}

// groupNames returns n group names shaped like Entra ID's group object IDs: 36
// characters, random-looking (derived from a hash, so the same on every run) and so
// as incompressible as real ones.
func groupNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		h := sha256.Sum256([]byte("bench group " + strconv.Itoa(i)))
		out[i] = fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
	}
	return out
}
