#!/usr/bin/env node
// Prepares the token-endpoint load of the benchmark: fresh authorization codes (one urlencoded token request body
// per line, ready for wrk) or refresh tokens (one per line), obtained by logging in over HTTP.
// Usage: node bench/mint.mjs ISSUER --profile sim|oidc-provider --client ID [--client-secret S] --redirect-uri URI
//          --mode codes|refresh --count N [--concurrency C] --out FILE
// --client-secret: the client authenticates with client_secret_post (the secret goes into every token body).
// The output file holds live credentials of a throw-away local provider; it is written with mode 600.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { HttpBrowser, login } from '../lib/http-browser.mjs';

const SCOPE = 'openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending';
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  if (dflt === undefined) { process.stderr.write(`mint.mjs: --${name} is required\n`); process.exit(2); }
  return dflt;
};
const issuer = args[0];
const profile = opt('profile');
const client = opt('client');
const secret = opt('client-secret', '');
const redirectUri = opt('redirect-uri');
const mode = opt('mode');
const count = Number(opt('count'));
const concurrency = Number(opt('concurrency', '32'));
const out = opt('out');
const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const b64 = (buf) => buf.toString('base64url');

async function one() {
  const verifier = b64(crypto.randomBytes(32));
  const url = new URL(meta.authorization_endpoint);
  const params = {
    response_type: 'code', client_id: client, redirect_uri: redirectUri, scope: SCOPE,
    state: b64(crypto.randomBytes(12)), nonce: b64(crypto.randomBytes(12)),
    code_challenge: b64(crypto.createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const back = await login(new HttpBrowser(), url.href, redirectUri, { profile });
  const code = back.url && new URL(back.url).searchParams.get('code');
  if (!code) throw new Error(`login failed: ${back.url ?? `page ${back.page?.status}`}`);
  const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: client };
  if (secret) form.client_secret = secret;
  const body = new URLSearchParams(form).toString();
  if (mode === 'codes') return body;
  const r = await fetch(meta.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const t = await r.json();
  if (!t.refresh_token) throw new Error(`no refresh token: ${t.error ?? r.status}`);
  return t.refresh_token;
}

const started = Date.now();
const lines = [];
let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < count) {
    next += 1;
    lines.push(await one());
  }
}));
fs.writeFileSync(out, `${lines.join('\n')}\n`, { mode: 0o600 });
const secs = (Date.now() - started) / 1000;
process.stderr.write(`mint.mjs: ${lines.length} ${mode} in ${secs.toFixed(1)} s (${(lines.length / secs).toFixed(0)}/s)\n`);
