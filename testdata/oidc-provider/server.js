// A real OpenID Connect provider (panva/oidc-provider) for ssogate's integration tests.
//
// Usage: node server.js [--port N] [--config FILE]
//
//   --port / PORT      port on HOST (default 127.0.0.1); 0 picks a free one. Default 0.
//   --config / OIDC_PROVIDER_CONFIG
//                      a JSON file (or, for the env var, inline JSON) with users and clients.
//   ISSUER             issuer override (default http(s)://127.0.0.1:PORT).
//   CERT, KEY          PEM files: serve HTTPS instead of HTTP.
//
// Prints exactly one line "READY <issuer>" on stdout once it is listening.
// Event lines ("EVENT <name> ...") go to stdout, request lines ("HTTP ...") to stderr.
//
// Configuration (all keys optional):
//   {
//     "users":   [{ "sub", "username", "password", "email", "email_verified", "name", "groups": [] }],
//     "clients": [ oidc-provider client metadata plus two test-only keys:
//                  "pkce_required": true|false (default: true for token_endpoint_auth_method none),
//                  "consent": true to show the consent page (default: skipped) ],
//     "jwks":    { "keys": [private JWKs] } (default: a fresh RSA key each start),
//     "ttl":     { "IdToken": seconds, "AccessToken": seconds, ... },
//     "conform_id_token_claims": true   (optional; see relaxation 5)
//   }
//
// Relaxations of the library's defaults, all for loopback testing only:
//   1. Implicit clients may register http:// (and localhost) redirect URIs: the client schema's
//      'implicit-force-https' and 'implicit-forbid-localhost' checks are ignored.
//   2. Back-channel logout may POST to loopback: the library's SSRF-protecting dispatcher is
//      dropped from outgoing fetches.
//   3. Consent is granted automatically (loadExistingGrant) unless a client sets "consent": true.
//   4. A refresh token is issued to every client allowed the refresh_token grant, whether or not
//      the request carried offline_access with prompt=consent (as Okta and Keycloak do).
//   5. ID tokens carry the user's claims even when an access token is issued too, unless the
//      config sets "conform_id_token_claims": true (the library's and the spec's default: the
//      claims are then only at the userinfo endpoint).
// The devInteractions login page is the library's own; the password is checked by a small
// middleware in front of it (the library's dev page accepts any login).
import { readFileSync } from 'node:fs';
import { createServer as createHTTP } from 'node:http';
import { createServer as createHTTPS } from 'node:https';
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

import { checkLogin } from './login.js';

const DEFAULT_USERS = [
  {
    sub: 'alice', username: 'alice', password: 'alice', email: 'alice@example.com', email_verified: true,
    name: 'Alice Admin', groups: ['wandb-admins', 'ml-team'],
  },
  {
    sub: 'bob', username: 'bob', password: 'bob', email: 'bob@example.com', email_verified: true,
    name: 'Bob Builder', groups: ['ml-team'],
  },
  {
    sub: 'jisoo', username: 'jisoo', password: 'jisoo', email: 'jisoo@example.com', email_verified: true,
    name: '김지수', groups: ['ml-team'],
  },
];

// Lifetimes in seconds (the library's defaults, set explicitly to silence its notices).
const DEFAULT_TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  ClientCredentials: 600,
  Grant: 14 * 24 * 3600,
  IdToken: 3600,
  Interaction: 3600,
  RefreshToken: 14 * 24 * 3600,
  Session: 14 * 24 * 3600,
};

function loadConfig(path) {
  const source = path ?? process.env.OIDC_PROVIDER_CONFIG;
  if (!source) return {};
  const text = source.trimStart().startsWith('{') ? source : readFileSync(source, 'utf8');
  return JSON.parse(text);
}

function freshJWKS() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' }] };
}

// splitClients separates the test-only keys from the metadata oidc-provider validates.
function splitClients(clients = []) {
  const extras = new Map();
  const metadata = clients.map(({ pkce_required: pkceRequired, consent, ...rest }) => {
    extras.set(rest.client_id, { pkceRequired, consent: consent === true });
    return rest;
  });
  return { metadata, extras };
}

function accountFor(users, id) {
  const user = users.find((u) => u.sub === id) ?? users.find((u) => u.username === id);
  if (!user) return undefined;
  return {
    accountId: user.sub,
    async claims() {
      return {
        sub: user.sub,
        email: user.email,
        email_verified: user.email_verified ?? true,
        name: user.name,
        preferred_username: user.username,
        groups: user.groups ?? [],
      };
    },
  };
}

function log(stream, line) {
  stream.write(`${line}\n`);
}

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, config: { type: 'string' } },
});
const config = loadConfig(args.config);
const users = config.users ?? DEFAULT_USERS;
const { metadata: clients, extras } = splitClients(config.clients);
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(args.port ?? process.env.PORT ?? 0);
const tls = process.env.CERT && process.env.KEY
  ? { cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) }
  : undefined;

// Listen first, so that port 0 works: the issuer needs the real port.
let handler = (req, res) => { res.statusCode = 503; res.end('starting'); };
const server = tls ? createHTTPS(tls, (req, res) => handler(req, res))
  : createHTTP((req, res) => handler(req, res));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, resolve);
});
const actualPort = server.address().port;
const issuer = process.env.ISSUER ?? `${tls ? 'https' : 'http'}://127.0.0.1:${actualPort}`;

const provider = new Provider(issuer, {
  clients,
  jwks: config.jwks ?? freshJWKS(),
  ttl: { ...DEFAULT_TTL, ...config.ttl },
  findAccount: (ctx, id) => accountFor(users, id),
  // Relaxation 5.
  conformIdTokenClaims: config.conform_id_token_claims === true,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  cookies: { keys: ['ssogate-test-cookie-key-1', 'ssogate-test-cookie-key-0'] },
  pkce: {
    required: (ctx, client) => extras.get(client.clientId)?.pkceRequired
      ?? client.clientAuthMethod === 'none',
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  // Relaxation 3: first-party test clients skip the consent page.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    if (extras.get(client.clientId)?.consent || !session.accountId) return grant;
    grant ??= new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    await grant.save();
    return grant;
  },
  // Relaxation 2: no SSRF guard, so back-channel logout reaches the gateway on 127.0.0.1.
  fetch: (url, { dispatcher, ...options }) => globalThis.fetch(url, options),
});

// Relaxation 1: implicit clients with http://127.0.0.1 redirect URIs.
const { invalidate } = provider.Client.Schema.prototype;
provider.Client.Schema.prototype.invalidate = function relaxed(message, code) {
  if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return;
  invalidate.call(this, message, code);
};

provider.use(async (ctx, next) => {
  await next();
  log(process.stderr, `HTTP ${ctx.method} ${ctx.originalUrl} ${ctx.status}`);
});
provider.use(checkLogin(users));

const events = {
  'backchannel.success': (ctx, client, accountId, sid) => `client=${client.clientId} sub=${accountId} sid=${sid}`,
  'backchannel.error': (ctx, err, client, accountId, sid) => `client=${client.clientId} sub=${accountId} sid=${sid} error=${err.message}`,
  'end_session.success': (ctx) => `client=${ctx.oidc.client?.clientId}`,
  'authorization.success': (ctx) => `client=${ctx.oidc.client?.clientId}`,
  'authorization.error': (ctx, err) => `error=${err.message} ${err.error_description ?? ''}`,
  'grant.success': (ctx) => `client=${ctx.oidc.client?.clientId}`,
  'grant.error': (ctx, err) => `error=${err.message} ${err.error_description ?? ''}`,
  'server_error': (ctx, err) => `error=${err.stack}`,
};
for (const [name, describe] of Object.entries(events)) {
  provider.on(name, (...a) => log(process.stdout, `EVENT ${name} ${describe(...a)}`));
}

handler = provider.callback();
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
log(process.stdout, `EVENT listening addr=${host}:${actualPort}`);
log(process.stdout, `READY ${issuer}`);
