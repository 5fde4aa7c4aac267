// Command zitadel-op runs the zitadel/oidc v3 example OpenID provider
// (github.com/zitadel/oidc/v3/example/server: its storage, users, login form and OP
// options) on loopback for ssogate's interop tests (e2e/interop). The example has its
// clients and redirect URIs built in; this program registers the clients the tests need
// instead, for the gateway's redirect URI given on the command line:
//
//   - gw-public: a native client, PKCE without a secret (the example's NativeClient);
//   - gw-confidential: a web client with -secret, client_secret_basic (WebClient);
//   - gw-implicit: a web client for response_type=id_token with form_post (WebClient).
//
// The example's clients accept no post_logout_redirect_uri and its users carry no
// groups; this program adds -post-logout-uri to every client and the groups below to
// the user's claims (ID token and userinfo), so logout and group headers can be tested.
// Everything else is the example's own code. .ci/idps.sh builds it into the provider
// cache; it is a module of its own, not part of ssogate's build.
//
// Usage:
//
//	zitadel-op -addr 127.0.0.1:PORT -redirect-uri URI[,URI...] -post-logout-uri URI[,URI...] -secret SECRET
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// The client IDs this provider knows.
const (
	PublicClient       = "gw-public"
	ConfidentialClient = "gw-confidential"
	ImplicitClient     = "gw-implicit"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "zitadel-op:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("zitadel-op", flag.ContinueOnError)
	addr := fs.String("addr", "", "listen address, host:port on loopback (required)")
	redirect := fs.String("redirect-uri", "", "the gateways' redirect URIs, comma-separated, registered for every client (required)")
	postLogout := fs.String("post-logout-uri", "", "post_logout_redirect_uris, comma-separated, registered for every client (required)")
	secret := fs.String("secret", "", "client secret of "+ConfidentialClient+" (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" || *redirect == "" || *postLogout == "" || *secret == "" {
		return errors.New("-addr, -redirect-uri, -post-logout-uri and -secret are required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	issuer := "http://" + ln.Addr().String() + "/"
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	redirects := strings.Split(*redirect, ",")
	clients := map[string]*storage.Client{
		PublicClient:       storage.NativeClient(PublicClient, redirects...),
		ConfidentialClient: storage.WebClient(ConfidentialClient, *secret, redirects...),
		ImplicitClient:     storage.WebClient(ImplicitClient, *secret, redirects...),
	}
	store := &opStorage{
		Storage:    storage.NewStorageWithClients(storage.NewUserStore(issuer), clients),
		postLogout: strings.Split(*postLogout, ","),
		// The groups claim of the example's two users, by user ID.
		groups: map[string][]string{"id1": {"ml-team", "wandb-admins"}, "id2": {"ml-team"}},
		log:    logger,
	}
	router := exampleop.SetupServer(issuer, store, logger, false)
	logger.Info("zitadel-op listening", "issuer", issuer)
	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}
