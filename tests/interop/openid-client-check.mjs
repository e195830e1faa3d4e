#!/usr/bin/env node
// Third-party proof: panva's `openid-client` 6 (OpenID Certified relying party) logs in, refreshes, calls userinfo,
// revokes and logs out against a provider, and checks that the provider is as strict as ID-porten.
//
// Usage: node openid-client-check.mjs ISSUER [--profile sim|oidc-provider] [--client ID] [--redirect-uri URI]
//          [--client-secret SECRET] [--post-logout-uri URI] [--person PID] [--secret-basic ID:SECRET]
//          [--secret-post ID:SECRET] [--private-key-jwt ID:PRIVATE_JWK_FILE] [--only NAME,NAME...]
// --client-secret: the main client authenticates with client_secret_basic (ID-porten gives refresh tokens only to
//   web clients that authenticate); without it the main client is public.
// profile sim (default): headless login (`sim_pid`, needs `[sim] headless_login = true`), client
//   mva-sim-refresh-client with its published test secret; plus the ID-porten rules oidc-provider does not have
//   (state, nonce, scope).
// profile oidc-provider: posts oidc-provider's dev login form; clients of oidc-provider.mjs.
// Prints `ok NAME`, `skip NAME: why` or `FAIL NAME: why`, one line per check; exit 1 on any failure.
// --only runs just the named checks (the first login is `login-code-pkce`; later checks build on it).
import fs from 'node:fs';
import * as oidc from 'openid-client';
import { importJWK } from 'jose';
import { HttpBrowser, login } from './lib/http-browser.mjs';

const SCOPE = 'openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending';

function parseArgs(argv) {
  const o = { profile: 'sim', person: '01818510078', confidential: [] };
  const rest = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const v = () => argv[(i += 1)] ?? usage(`${a} needs a value`);
    const pair = (method) => {
      const s = v();
      const at = s.indexOf(':');
      if (at < 1) usage(`${a} needs ID:VALUE`);
      o.confidential.push({ method, id: s.slice(0, at), value: s.slice(at + 1) });
    };
    if (a === '--profile') o.profile = v();
    else if (a === '--client') o.client = v();
    else if (a === '--client-secret') o.clientSecret = v();
    else if (a === '--redirect-uri') o.redirectUri = v();
    else if (a === '--post-logout-uri') o.postLogoutUri = v();
    else if (a === '--person') o.person = v();
    else if (a === '--only') o.only = v().split(',');
    else if (a === '--secret-basic') pair('client_secret_basic');
    else if (a === '--secret-post') pair('client_secret_post');
    else if (a === '--private-key-jwt') pair('private_key_jwt');
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else rest.push(a);
  }
  if (rest.length !== 1) usage('give exactly one ISSUER');
  [o.issuer] = rest;
  if (!['sim', 'oidc-provider'].includes(o.profile)) usage('--profile is sim or oidc-provider');
  const sim = o.profile === 'sim';
  if (sim && o.client === undefined) {
    o.client = 'mva-sim-refresh-client';
    o.clientSecret ??= 'mva-sim-refresh-client-secret';
  }
  o.client ??= '23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09';
  o.redirectUri ??= 'http://localhost:12345/token';
  if (!sim) {
    o.postLogoutUri ??= 'http://localhost:12345/logout';
    if (o.confidential.length === 0) {
      o.confidential.push({ method: 'client_secret_basic', id: 'mva-secret-basic', value: 'mva-secret-basic-secret-for-tests-only' });
      o.confidential.push({ method: 'client_secret_post', id: 'mva-secret-post', value: 'mva-secret-post-secret-for-tests-only' });
    }
  }
  return o;
}

function usage(message) {
  process.stderr.write(`openid-client-check.mjs: ${message}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const SIM = opts.profile === 'sim';
let failures = 0;

async function check(name, fn) {
  if (opts.only && !opts.only.includes(name)) return;
  try {
    const note = await fn();
    if (typeof note === 'string' && note.startsWith('skip:')) process.stdout.write(`skip ${name}: ${note.slice(5).trim()}\n`);
    else process.stdout.write(`ok ${name}\n`);
  } catch (e) {
    failures += 1;
    const why = e.error ? `${e.error}: ${e.error_description ?? ''} (${e.message})` : (e.message || String(e));
    process.stdout.write(`FAIL ${name}: ${why.replace(/\s+/g, ' ')}\n`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// Expects `promise` to be refused with OAuth error `code` (a ResponseBodyError or AuthorizationResponseError).
async function refused(promise, code) {
  try {
    await promise;
  } catch (e) {
    let got = e.error;
    // A 401 with a WWW-Authenticate challenge (RFC 6749 5.2 for client_secret_basic): the error is in the body.
    if (!got && e.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
      got = e.cause?.[0]?.parameters?.error ?? (await e.response?.json().catch(() => ({})))?.error;
    }
    if (got === code) return;
    throw new Error(`expected ${code}, got ${got ?? e.code ?? 'an error'}: ${e.error_description ?? e.message}`);
  }
  throw new Error(`expected ${code}, but the request succeeded`);
}

async function configFor(clientId, auth) {
  const config = await oidc.discovery(new URL(opts.issuer), clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
  });
  oidc.enableNonRepudiationChecks(config); // verify ID token signatures with the discovered JWKS
  return config;
}

// Authorization request parameters with fresh PKCE, state and nonce.
async function request(extra = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const params = {
    redirect_uri: opts.redirectUri,
    scope: SCOPE,
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    acr_values: 'idporten-loa-substantial',
    ui_locales: 'nb',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) if (v === undefined) delete params[k];
  return { params, verifier };
}

// Logs in and returns the callback URL (throws when the provider stops on a page).
async function loginTo(config, params, browser = new HttpBrowser(), url = oidc.buildAuthorizationUrl(config, params), interactive = true) {
  const out = interactive
    ? await login(browser, url.href, opts.redirectUri, { profile: opts.profile, person: opts.person, acr: 'idporten-loa-substantial' })
    : await browser.follow(url.href, opts.redirectUri);
  if (!out.url || out.page) throw new Error(`login stopped on a page (status ${out.page?.status}) at ${out.url}`);
  return new URL(out.url);
}

async function fullLogin(config, browser) {
  const { params, verifier } = await request();
  const callback = await loginTo(config, params, browser);
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce, idTokenExpected: true,
  });
  return { tokens, params, verifier, callback };
}

// An authorization request that must be refused: an error redirect (no code) or an error page. `page` = must be a page.
async function mustRefuse(config, params, { page = false, errorCode } = {}) {
  const out = await login(new HttpBrowser(), oidc.buildAuthorizationUrl(config, params).href, params.redirect_uri ?? opts.redirectUri,
    { profile: opts.profile, person: opts.person });
  if (out.page) {
    assert(out.page.status >= 400, `the provider answered ${out.page.status} with a page, expected an error status`);
    return;
  }
  const back = new URL(out.url);
  assert(!page, `expected an error page, but the provider redirected to ${back.origin}${back.pathname}`);
  assert(!back.searchParams.has('code'), 'the provider issued a code');
  assert(back.searchParams.has('error'), 'the redirect carries no error');
  if (errorCode) assert(back.searchParams.get('error') === errorCode, `expected error=${errorCode}, got ${back.searchParams.get('error')}`);
}

const mainAuth = opts.clientSecret ? oidc.ClientSecretBasic(opts.clientSecret) : oidc.None();
const config = await configFor(opts.client, mainAuth).catch((e) => {
  process.stdout.write(`FAIL discovery: ${e.message}\n`);
  process.exit(1);
});
process.stdout.write('ok discovery\n');

await check('discovery-idporten-fields', async () => {
  const m = config.serverMetadata();
  assert(JSON.stringify(m.code_challenge_methods_supported) === '["S256"]', `code_challenge_methods_supported ${m.code_challenge_methods_supported}`);
  assert(m.authorization_response_iss_parameter_supported === true, 'authorization_response_iss_parameter_supported is not true');
  assert(m.id_token_signing_alg_values_supported?.includes('RS256'), 'RS256 not among id_token algs');
  assert(!m.issuer.endsWith('/'), 'issuer ends with /');
});

let first;
await check('login-code-pkce', async () => {
  first = await fullLogin(config);
  assert(first.tokens.access_token && first.tokens.refresh_token, 'no access or refresh token');
});

await check('id-token-claims', async () => {
  const c = first.tokens.claims();
  assert(c.pid === opts.person, `pid ${c.pid}`);
  assert(c.acr === 'idporten-loa-substantial' || c.acr === 'idporten-loa-high', `acr ${c.acr}`);
  assert(Array.isArray(c.amr), 'amr is not an array');
  assert(c.aud === opts.client || c.aud?.includes?.(opts.client), 'aud');
  assert(c.exp - c.iat <= 600, `ID token lives ${c.exp - c.iat} s`);
  if (SIM) assert(c.at_hash === undefined, 'the sim sent at_hash (ID-porten does not)');
});

await check('userinfo', async () => {
  const info = await oidc.fetchUserInfo(config, first.tokens.access_token, first.tokens.claims().sub);
  assert(info.pid === opts.person, `userinfo pid ${info.pid}`);
});

let second;
await check('refresh-rotates', async () => {
  second = await oidc.refreshTokenGrant(config, first.tokens.refresh_token);
  assert(second.refresh_token && second.refresh_token !== first.tokens.refresh_token, 'the refresh token did not rotate');
  const c = second.claims();
  if (c) assert(c.sub === first.tokens.claims().sub && c.iss === first.tokens.claims().iss, 'refreshed ID token changed sub or iss');
});

await check('spent-refresh-refused', () => refused(oidc.refreshTokenGrant(config, first.tokens.refresh_token), 'invalid_grant'));
await check('reuse-revokes-grant', () => refused(oidc.refreshTokenGrant(config, second.refresh_token), 'invalid_grant'));

await check('code-single-use', async () => {
  const l = await fullLogin(config);
  await refused(oidc.authorizationCodeGrant(config, l.callback, {
    pkceCodeVerifier: l.verifier, expectedState: l.params.state, expectedNonce: l.params.nonce,
  }), 'invalid_grant');
});

await check('wrong-verifier-refused', async () => {
  const { params } = await request();
  const callback = await loginTo(config, params);
  await refused(oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: oidc.randomPKCECodeVerifier(), expectedState: params.state, expectedNonce: params.nonce,
  }), 'invalid_grant');
});

await check('revocation', async () => {
  const l = await fullLogin(config);
  await oidc.tokenRevocation(config, l.tokens.refresh_token);
  await refused(oidc.refreshTokenGrant(config, l.tokens.refresh_token), 'invalid_grant');
  const r = await fetch(config.serverMetadata().userinfo_endpoint, { headers: { authorization: `Bearer ${l.tokens.access_token}` } });
  assert(r.status === 401, `userinfo with the revoked grant's access token answered ${r.status}, expected 401`);
});

await check('logout', async () => {
  const browser = new HttpBrowser();
  const l = await fullLogin(config, browser);
  const state = oidc.randomState();
  const params = { id_token_hint: l.tokens.id_token, state };
  if (opts.postLogoutUri) params.post_logout_redirect_uri = opts.postLogoutUri;
  let out = await browser.follow(oidc.buildEndSessionUrl(config, params).href, opts.postLogoutUri);
  if (out.page && !SIM) { // oidc-provider asks "Do you want to sign-out?": press yes
    const html = await out.page.text();
    const form = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html)
      ?? /<form[^>]*action="([^"]+)"[^>]*id="op.logoutForm"[^>]*>([\s\S]*?)<\/form>/.exec(html);
    assert(form, 'no logout confirmation form');
    const fields = Object.fromEntries([...form[2].matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    out = await browser.follow(new URL(form[1], out.url).href, opts.postLogoutUri, { form: { ...fields, logout: 'yes' } });
  }
  if (opts.postLogoutUri) {
    assert(out.url?.startsWith(opts.postLogoutUri) && !out.page, `logout did not redirect to ${opts.postLogoutUri}`);
    assert(new URL(out.url).searchParams.get('state') === state, 'logout redirect lost state');
  } else {
    assert(out.page?.status === 200, `logout page answered ${out.page?.status}`);
  }
  if (SIM) { // the SSO session is gone: the same browser gets the login page again (no headless shortcut here)
    const { params: p } = await request();
    const again = await browser.follow(oidc.buildAuthorizationUrl(config, p).href, opts.redirectUri);
    assert(again.page?.status === 200, 'after logout the browser was not shown the login page');
  }
});

await check('no-pkce-refused', async () => {
  const { params } = await request({ code_challenge: undefined, code_challenge_method: undefined });
  await mustRefuse(config, params);
});
await check('plain-pkce-refused', async () => {
  const v = oidc.randomPKCECodeVerifier();
  const { params } = await request({ code_challenge: v, code_challenge_method: 'plain' });
  await mustRefuse(config, params);
});
await check('padded-challenge-refused', async () => {
  const { params } = await request();
  params.code_challenge += '=';
  await mustRefuse(config, params);
});
await check('wrong-redirect-uri-error-page', async () => {
  const wrong = new URL(opts.redirectUri);
  wrong.pathname += '-evil';
  const { params } = await request({ redirect_uri: wrong.href });
  await mustRefuse(config, params, { page: true });
});
await check('unknown-client-error-page', async () => {
  const other = await configFor('no-such-client-9b1f', oidc.None());
  const { params } = await request();
  await mustRefuse(other, params, { page: true });
});
if (SIM) {
  await check('missing-state-refused', async () => mustRefuse(config, (await request({ state: undefined })).params));
  await check('missing-nonce-refused', async () => mustRefuse(config, (await request({ nonce: undefined })).params));
  await check('unknown-scope-invalid_scope', async () => mustRefuse(config,
    (await request({ scope: `${SCOPE} skatteetaten:not-granted` })).params, { errorCode: 'invalid_scope' }));
} else {
  for (const n of ['missing-state-refused', 'missing-nonce-refused', 'unknown-scope-invalid_scope']) {
    if (!opts.only || opts.only.includes(n)) process.stdout.write(`skip ${n}: oidc-provider does not have this ID-porten rule\n`);
  }
}

await check('par-login', async () => {
  const { params, verifier } = await request();
  // The sim's headless login switch travels inside the pushed request (it reads parameters from there).
  const pushed = SIM ? { ...params, sim_pid: opts.person, sim_acr: 'idporten-loa-substantial' } : params;
  const url = await oidc.buildAuthorizationUrlWithPAR(config, pushed);
  assert(url.searchParams.get('request_uri'), 'no request_uri');
  const callback = await loginTo(config, params, new HttpBrowser(), url, !SIM);
  const t = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce, idTokenExpected: true,
  });
  assert(t.claims().pid === opts.person, 'PAR login: wrong pid');
  const again = SIM ? await new HttpBrowser().follow(url.href, opts.redirectUri)
    : await login(new HttpBrowser(), url.href, opts.redirectUri, { profile: opts.profile, person: opts.person });
  const reused = again.url && !again.page && new URL(again.url).searchParams.has('code');
  assert(!reused, 'the request_uri was accepted twice');
});

for (const c of opts.confidential) {
  let auth;
  let wrong;
  if (c.method === 'private_key_jwt') {
    const jwk = JSON.parse(fs.readFileSync(c.value, 'utf8'));
    auth = oidc.PrivateKeyJwt({ key: await importJWK(jwk, 'RS256'), kid: jwk.kid });
  } else {
    const make = c.method === 'client_secret_basic' ? oidc.ClientSecretBasic : oidc.ClientSecretPost;
    auth = make(c.value);
    wrong = make(`${c.value}-wrong`);
  }
  await check(`${c.method}-login`, async () => {
    const l = await fullLogin(await configFor(c.id, auth));
    assert(l.tokens.access_token, 'no access token');
  });
  if (wrong) {
    await check(`${c.method}-wrong-secret-refused`, async () => {
      const cfg = await configFor(c.id, wrong);
      const { params, verifier } = await request();
      const callback = await loginTo(cfg, params);
      await refused(oidc.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce }), 'invalid_client');
    });
  }
  await check(`${c.method}-no-authentication-refused`, async () => {
    const cfg = await configFor(c.id, oidc.None());
    const { params, verifier } = await request();
    const callback = await loginTo(cfg, params);
    await refused(oidc.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce }), 'invalid_client');
  });
}

process.stdout.write(failures ? `${failures} check(s) FAILED\n` : 'all checks passed\n');
process.exit(failures ? 1 : 0);
