#!/usr/bin/env node
// An independent OpenID Provider configured like ID-porten, built on panva's `oidc-provider`
// (OpenID Certified). It is the reference the project's client is tested against, next to our own simulator.
//
// Usage:  node oidc-provider.mjs [PORT] [--jwks FILE] [--code-ttl SECONDS] [--jwt-access-tokens]
//   PORT        TCP port on 127.0.0.1, 0 (default) picks a free one.
//   --jwks FILE public JWKS ({"keys":[...]}) of the private_key_jwt client `mva-private-key-jwt`
//               (or env OIDC_PKJ_JWKS); without it that client is not registered.
//   --code-ttl  authorization code lifetime in seconds (default 30, as ID-porten; the benchmark raises it).
//   --jwt-access-tokens  access tokens as RS256 JWTs for the resource https://vat-api.mva.test (aud), carrying the
//               tax scopes, as ID-porten's; such tokens are not accepted at /userinfo (oidc-provider's rule).
// Prints exactly one line `ISSUER http://127.0.0.1:PORT` on stdout when ready; diagnostics go to stderr
// (never a token, code or secret).
//
// Test endpoints (not part of OpenID Connect):
//   GET /test/stats -> {"refreshes": n, "token_requests": n, "refresh_failures": n, "codes_redeemed": n}
//
// Access tokens are OPAQUE by default (reference tokens, 43 chars), good for /userinfo and /revoke; with
// --jwt-access-tokens they are JWTs (the benchmark uses that, so both servers sign two JWTs per token response). ID tokens are RS256 JWTs with kid, acr, amr ["TestID"], pid, locale and an opaque
// sub (SHA-256 of pid and a per-run salt; the same for every client, unlike ID-porten's pairwise sub).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import Provider, { errors, interactionPolicy } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

// stdout carries exactly one line (ISSUER ...): oidc-provider's notices (console.info) go to stderr.
console.info = console.warn;
console.log = console.warn;

const SHARED_TEST_CLIENT_ID = '23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09';
const TAX_SCOPES = ['skatteetaten:mvameldingvalidering', 'skatteetaten:mvameldinginnsending'];
const ACR_VALUES = ['idporten-loa-substantial', 'idporten-loa-high'];
const VAT_RESOURCE = 'https://vat-api.mva.test';
const LEGACY_ACR = { Level3: 'idporten-loa-substantial', Level4: 'idporten-loa-high' };

function parseArgs(argv) {
  const out = { port: 0, jwks: process.env.OIDC_PKJ_JWKS, codeTtl: 30, jwtAccessTokens: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--jwks') out.jwks = argv[(i += 1)];
    else if (a === '--code-ttl') out.codeTtl = Number(argv[(i += 1)]);
    else if (a === '--jwt-access-tokens') out.jwtAccessTokens = true;
    else if (/^\d+$/.test(a)) out.port = Number(a);
    else fail(`unknown argument ${a}; usage: node oidc-provider.mjs [PORT] [--jwks FILE] [--code-ttl SECONDS] [--jwt-access-tokens]`);
  }
  if (!Number.isInteger(out.codeTtl) || out.codeTtl < 1) fail('--code-ttl needs a whole number of seconds >= 1');
  return out;
}

function fail(message) {
  process.stderr.write(`oidc-provider.mjs: ${message}\n`);
  process.exit(2);
}

function readJwks(file) {
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`cannot read the private_key_jwt client's JWKS from ${file}: ${e.message}`);
  }
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) fail(`${file} is not a JWKS: it needs a non-empty "keys" array`);
  if (parsed.keys.some((k) => k.d)) fail(`${file} holds a private key; give the public JWKS only`);
  return parsed;
}

function clients(jwks, jwtAccessTokens) {
  const common = {
    application_type: 'native',
    response_types: ['code'],
    // With JWT access tokens the tax scopes are the resource server's, not the provider's (see resourceIndicators).
    scope: jwtAccessTokens ? 'openid' : ['openid', ...TAX_SCOPES].join(' '),
    id_token_signed_response_alg: 'RS256',
  };
  const list = [
    {
      // (a) the Tax Administration's shared test client: public, native, one-time refresh tokens.
      ...common,
      client_id: SHARED_TEST_CLIENT_ID,
      client_name: 'Skatteetaten shared test client',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://localhost:12345/token', 'http://127.0.0.1/callback'],
      post_logout_redirect_uris: ['http://localhost:12345/logout', 'http://127.0.0.1/logout'],
    },
    {
      // (b) confidential client, secret in the Authorization header.
      ...common,
      application_type: 'web',
      client_id: 'mva-secret-basic',
      client_secret: 'mva-secret-basic-secret-for-tests-only',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://localhost:12345/token', 'http://127.0.0.1:12345/callback'],
      post_logout_redirect_uris: ['http://localhost:12345/logout'],
    },
    {
      // (c) confidential client, secret in the form body.
      ...common,
      application_type: 'web',
      client_id: 'mva-secret-post',
      client_secret: 'mva-secret-post-secret-for-tests-only',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://localhost:12345/token', 'http://127.0.0.1:12345/callback'],
      post_logout_redirect_uris: ['http://localhost:12345/logout'],
    },
  ];
  if (jwks) {
    list.push({
      // (d) private_key_jwt: RS256 client assertion, keys from the file.
      ...common,
      client_id: 'mva-private-key-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      jwks,
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://localhost:12345/token', 'http://127.0.0.1/callback'],
      post_logout_redirect_uris: ['http://localhost:12345/logout'],
    });
  }
  return list;
}

function signingKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };
}

// oidc-provider asks native clients for consent on every login; ID-porten does not.
function policy() {
  const base = interactionPolicy.base();
  base.get('consent').checks.remove('native_client_prompt');
  return base;
}

// oidc-provider's default in-memory store is an LRU of 1000 entries shared by sessions, codes, grants and tokens:
// under load (or in a long test run) it silently evicts live codes and refresh tokens. This store keeps every
// entry until it expires (swept once a minute); the adapter logic (grant indexes, consume) is oidc-provider's own.
class ExpiringStore {
  constructor() {
    this.map = new Map();
    setInterval(() => {
      const now = Date.now();
      for (const [k, e] of this.map) if (e.expiresAt <= now) this.map.delete(k);
    }, 60_000).unref();
  }

  get(key) {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key, value, options) {
    this.map.set(key, { value, expiresAt: options?.maxAge ? Date.now() + options.maxAge : Infinity });
  }

  delete(key) {
    this.map.delete(key);
  }
}

function acrFor(params) {
  const requested = String(params.acr_values || '').split(' ').filter(Boolean)
    .map((v) => LEGACY_ACR[v] || v);
  return requested.includes('idporten-loa-high') ? 'idporten-loa-high' : 'idporten-loa-substantial';
}

const args = parseArgs(process.argv.slice(2));
const store = new ExpiringStore();
const stats = { refreshes: 0, token_requests: 0, refresh_failures: 0, codes_redeemed: 0 };
const subjectSalt = crypto.randomBytes(16).toString('hex');
const persons = new Map(); // sub -> pid

const server = http.createServer();
server.listen(args.port, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: clients(args.jwks ? readJwks(args.jwks) : undefined, args.jwtAccessTokens),
    adapter: (model) => new MemoryAdapter(model, store, 15),
    jwks: { keys: [signingKey()] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    scopes: args.jwtAccessTokens ? ['openid', 'profile'] : ['openid', 'profile', ...TAX_SCOPES],
    acrValues: ACR_VALUES,
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    enabledJWA: { clientAuthSigningAlgValues: ['RS256'], idTokenSigningAlgValues: ['RS256'] },
    subjectTypes: ['public'],
    claims: {
      openid: ['sub', 'pid', 'locale', 'acr', 'amr', 'auth_time'],
      sid: null, iss: null,
    },
    conformIdTokenClaims: false, // ID-porten puts pid and locale in the ID token
    discovery: { ui_locales_supported: ['nb', 'nn', 'en', 'se'] },
    routes: {
      authorization: '/authorize',
      token: '/token',
      jwks: '/jwks.json',
      userinfo: '/userinfo',
      end_session: '/logout',
      revocation: '/revoke',
      introspection: '/introspect',
      pushed_authorization_request: '/par',
    },
    pkce: { required: () => true }, // oidc-provider 9 knows S256 only: `plain` is refused
    features: {
      devInteractions: { enabled: true },
      dPoP: { enabled: false },
      revocation: { enabled: true, allowedPolicy: async () => true },
      introspection: { enabled: false },
      rpInitiatedLogout: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      resourceIndicators: args.jwtAccessTokens ? {
        // The tax scopes belong to one resource server whose access tokens are RS256 JWTs (like ID-porten's).
        enabled: true,
        defaultResource: async () => VAT_RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== VAT_RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: TAX_SCOPES.join(' '), audience: VAT_RESOURCE, accessTokenTTL: 120,
            accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } },
          };
        },
      } : { enabled: false },
      userinfo: { enabled: true },
    },
    // ID-porten hands a refresh token to every client registered with the grant, without offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true, // one-time: every refresh returns a new one, reuse revokes the grant
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: 120,
      AuthorizationCode: args.codeTtl,
      IdToken: 120,
      RefreshToken: 600,
      Grant: 8 * 3600,
      Interaction: 600,
      Session: 1800,
    },
    // Consent is automatic: the grant covers what the client asked for (ID-porten shows no consent page for these).
    loadExistingGrant: async (ctx) => {
      const { client, session, params } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!grant) grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      if (args.jwtAccessTokens) {
        grant.addOIDCScope('openid');
        grant.addResourceScope(VAT_RESOURCE, TAX_SCOPES.join(' '));
      } else {
        grant.addOIDCScope(String(params.scope || 'openid'));
      }
      grant.addOIDCClaims(['pid', 'locale', 'acr', 'amr', 'auth_time']);
      await grant.save();
      return grant;
    },
    interactions: { policy: policy() },
    findAccount: async (ctx, sub) => (persons.has(sub) ? {
      accountId: sub,
      claims: async () => ({ sub, pid: persons.get(sub), locale: String(ctx.oidc.params?.ui_locales || 'nb').split(' ')[0] }),
    } : undefined),
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>oidc-provider error</title></head>
<body><h1>oidc-provider error</h1>${Object.entries(out).map(([k, v]) => `<p><b>${esc(k)}</b>: ${esc(v)}</p>`).join('')}</body></html>`;
    },
  });

  // The dev login form only carries an account id: give the login the level asked for and ID-porten's amr.
  const finished = provider.interactionFinished.bind(provider);
  provider.interactionFinished = async (req, res, result, options) => {
    if (result.login) {
      const { params } = await provider.interactionDetails(req, res);
      // Like ID-porten, `sub` is an opaque identifier, not the national identity number (which goes in `pid`).
      const pid = String(result.login.accountId);
      const sub = crypto.createHash('sha256').update(`${pid}|${subjectSalt}`).digest('base64url');
      persons.set(sub, pid);
      Object.assign(result.login, { accountId: sub, acr: acrFor(params), amr: ['TestID'] });
    }
    return finished(req, res, result, options);
  };

  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/test/stats') {
      ctx.type = 'json';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = JSON.stringify(stats);
      return;
    }
    if (ctx.method === 'POST' && ctx.path === '/token') stats.token_requests += 1;
    await next();
  });
  provider.on('grant.success', (ctx) => {
    const type = ctx.oidc.params?.grant_type;
    if (type === 'refresh_token') stats.refreshes += 1;
    if (type === 'authorization_code') stats.codes_redeemed += 1;
  });
  provider.on('grant.error', (ctx, err) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token') stats.refresh_failures += 1;
    process.stderr.write(`token: ${ctx.oidc.params?.grant_type || '?'} refused: ${err.error} (${err.error_description})\n`);
  });
  provider.on('server_error', (_ctx, err) => process.stderr.write(`server error: ${err.stack}\n`));

  server.on('request', provider.callback());
  process.stdout.write(`ISSUER ${issuer}\n`);
});
server.on('error', (e) => fail(`cannot listen on 127.0.0.1:${args.port}: ${e.message}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
