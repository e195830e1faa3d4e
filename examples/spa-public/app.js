// A public single-page application that logs in with ID-porten in the browser: authorization code flow with PKCE
// (S256), state and nonce from crypto.getRandomValues kept in sessionStorage across the redirect, the redirect
// handled on this page's own route (/callback), state and the RFC 9207 `iss` checked, the code exchanged at /token
// with fetch (CORS), the tokens kept in memory only (gone on reload), logout through end_session.
//
// Configuration: ?issuer=URL&client_id=ID on the start page (remembered in sessionStorage), else the defaults below.
// Note: the ID token's claims are decoded here ONLY to show who logged in. Checking its signature (and the other
// ID-token checks) belongs to a server; a browser page cannot protect a key or be trusted by an API.

const DEFAULTS = { issuer: 'http://127.0.0.1:7070', client_id: 'mva-spa-example' };
const KEY = 'mva-spa-login'; // sessionStorage: the pending login (state, nonce, verifier), never a token

// Tokens live in this module's memory only: never in localStorage, sessionStorage, cookies or URLs.
let tokens = null;

const $ = (id) => document.getElementById(id);

function config() {
  const q = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem('mva-spa-config') || 'null') || DEFAULTS;
  const cfg = { issuer: q.get('issuer') || saved.issuer, client_id: q.get('client_id') || saved.client_id };
  sessionStorage.setItem('mva-spa-config', JSON.stringify(cfg));
  return cfg;
}

function b64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function s256(verifier) {
  return b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}

async function discovery(issuer) {
  const r = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!r.ok) throw new Error(`discovery failed: HTTP ${r.status}`);
  const d = await r.json();
  if (d.issuer !== issuer) throw new Error('discovery names another issuer');
  return d;
}

const redirectUri = () => `${location.origin}/callback`;

async function login() {
  const cfg = config();
  const meta = await discovery(cfg.issuer);
  const pending = { state: random(), nonce: random(), verifier: random() + random(), ...cfg };
  sessionStorage.setItem(KEY, JSON.stringify(pending));
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.client_id,
    redirect_uri: redirectUri(),
    scope: 'openid profile',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await s256(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

// Decodes a JWT's payload for DISPLAY only (no signature check: that belongs to a server).
function displayClaims(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

const mask = (pid) => (/^\d{11}$/.test(pid) ? `${pid.slice(0, 6)}*****` : '***');

async function callback() {
  const q = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  sessionStorage.removeItem(KEY); // one use: a reloaded or replayed callback finds nothing
  history.replaceState(null, '', '/'); // the code leaves the address bar and the history
  if (!pending) throw new Error('no login is in progress in this tab (reloaded or replayed callback)');
  if (q.get('state') !== pending.state) throw new Error('state does not match this tab\'s login');
  if (q.get('iss') !== pending.issuer) throw new Error('the response names another issuer (iss)');
  if (q.get('error')) throw new Error(`login failed: ${q.get('error')}`);
  const meta = await discovery(pending.issuer);
  const r = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: q.get('code') || '',
      redirect_uri: redirectUri(),
      client_id: pending.client_id,
      code_verifier: pending.verifier,
    }),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(`token request failed: ${body.error || r.status}`);
  const claims = displayClaims(body.id_token);
  if (claims.nonce !== pending.nonce) throw new Error('the ID token\'s nonce does not match');
  tokens = { idToken: body.id_token, accessToken: body.access_token, meta, cfg: pending };
  show(claims);
}

function show(claims) {
  $('status').textContent = 'Logged in.';
  $('pid').textContent = mask(String(claims.pid || ''));
  $('acr').textContent = String(claims.acr || '');
  $('who').hidden = false;
  $('login').hidden = true;
  $('logout').hidden = false;
}

// Ends the ID-porten session with a form POST to end_session (the ID token stays out of URLs and history).
function logout() {
  if (!tokens) return;
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = tokens.meta.end_session_endpoint;
  const fields = { id_token_hint: tokens.idToken, post_logout_redirect_uri: `${location.origin}/` };
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.append(input);
  }
  tokens = null;
  document.body.append(form);
  form.submit();
}

function fail(e) {
  $('error').textContent = e.message;
}

$('login').addEventListener('click', () => login().catch(fail));
$('logout').addEventListener('click', logout);
if (location.pathname === '/callback') callback().catch(fail);
else config();
