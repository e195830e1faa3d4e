#!/usr/bin/env node
// A scripted browser for `mva login --browser-command`: headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) opens an authorization URL, completes the login page of either our simulator or oidc-provider's
// dev interactions, and waits until the browser lands on a loopback page that is not the provider (the client's
// listener). It prints that page's text to stdout and exits 0.
//
// Usage: node browser-login.mjs [--person PID] [--level substantial|high] [--cancel] [--screenshot FILE]
//                               [--timeout SECONDS] URL
//   The URL is the LAST argument (as `mva login --browser-command` appends it).
//   --person      the test person's national identity number (default 01818510078)
//   --level       the level to pick on the simulator's page when it offers a choice (default: as requested)
//   --cancel      press cancel instead of logging in
//   --screenshot  save a full-page PNG of the first login page seen
//   --timeout     give up after this many seconds (default 60)
//   --profile-dir DIR  keep the browser profile (cookies: the provider's single sign-on session) in DIR across
//                 runs, e.g. a login and then a logout in the same "browser"; default: a fresh temporary profile
//   --logout      the URL is the client's local logout page, which posts the end-session request to the provider:
//                 follow it, confirm the provider's sign-out question, and wait to land back at the client
// Exit codes: 0 landed on the client's page, 1 the flow failed (message on stderr), 2 bad arguments.
// Environment: CHROMIUM (default /usr/bin/chromium).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function usage(message) {
  process.stderr.write(`browser-login.mjs: ${message}\n`
    + 'usage: node browser-login.mjs [--person PID] [--level substantial|high] [--cancel] [--screenshot FILE] '
    + '[--timeout SECONDS] URL\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { person: '01818510078', level: undefined, cancel: false, logout: false, profileDir: undefined, screenshot: undefined, timeout: 60 };
  const rest = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[(i += 1)];
    };
    if (a === '--person') opts.person = value();
    else if (a === '--level') opts.level = value();
    else if (a === '--cancel') opts.cancel = true;
    else if (a === '--logout') opts.logout = true;
    else if (a === '--profile-dir') opts.profileDir = value();
    else if (a === '--screenshot') opts.screenshot = value();
    else if (a === '--timeout') opts.timeout = Number(value());
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else rest.push(a);
  }
  if (rest.length === 0) usage('the authorization URL is missing (it must be the last argument)');
  opts.url = rest[rest.length - 1];
  try {
    opts.start = new URL(opts.url);
  } catch {
    usage(`not a URL: ${opts.url}`);
  }
  if (!/^\d{11}$/.test(opts.person)) usage(`--person needs 11 digits, got "${opts.person}"`);
  if (opts.level && !['substantial', 'high'].includes(opts.level)) usage('--level must be substantial or high');
  if (!(opts.timeout > 0)) usage('--timeout needs a positive number of seconds');
  return opts;
}

class FlowError extends Error {}

// What kind of page the browser shows. Returns one of: landed, oidc-login, oidc-consent, sim-login, unknown.
async function classify(page, providerOrigin) {
  const url = new URL(page.url());
  if (url.protocol === 'chrome-error:') return 'unreachable';
  if (url.origin !== providerOrigin && LOOPBACK.has(url.hostname)) return 'landed';
  if (url.origin !== providerOrigin) return 'elsewhere';
  if (await page.locator('input[name="login"]').count() && await page.locator('input[name="password"]').count()) {
    return 'oidc-login';
  }
  if (await page.locator('input[name="prompt"][value="consent"]').count()) return 'oidc-consent';
  if (await page.locator('form[action="/authorize/login"] input[name="pid_typed"]').count()) return 'sim-login';
  return 'unknown';
}

// Click something that submits or navigates, and wait for the next document.
async function navigateBy(page, locator, what) {
  if (await locator.count() === 0) throw new FlowError(`the page at ${page.url()} has no ${what}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), locator.first().click()]).catch((e) => {
    const net = /net::ERR_[A-Z_]+/.exec(e.message);
    if (net) throw new FlowError(`the browser could not load the next page (${net[0]}): is the listener running?`);
    throw e;
  });
}

async function oidcLogin(page, opts) {
  if (opts.cancel) return navigateBy(page, page.locator('a', { hasText: 'Cancel' }), 'Cancel link');
  await page.fill('input[name="login"]', opts.person);
  await page.fill('input[name="password"]', 'test');
  return navigateBy(page, page.locator('button[type="submit"]'), 'Sign-in button');
}

// The simulator's TestID page (crates/sim/src/authorize/page.rs): text field `pid_typed`, radio `acr`,
// buttons `action=login` / `action=cancel`.
async function simLogin(page, opts) {
  if (opts.cancel) return navigateBy(page, page.locator('button[name="action"][value="cancel"]'), 'cancel button');
  await page.fill('input[name="pid_typed"]', opts.person);
  if (opts.level) {
    const level = page.locator(`input[name="acr"][value="idporten-loa-${opts.level}"]`);
    if (await level.count() === 0) throw new FlowError(`the login page does not offer level ${opts.level}`);
    await level.check();
  }
  return navigateBy(page, page.locator('button[name="action"][value="login"]'), 'login button');
}

// Logout: the start page belongs to the client and posts to the provider by itself (or by its button).
async function logout(page, opts) {
  const clientOrigin = opts.start.origin;
  let leftClient = false;
  for (let step = 0; step < 12; step += 1) {
    await page.waitForLoadState('load');
    const url = new URL(page.url());
    if (url.protocol === 'chrome-error:') throw new FlowError(`the browser could not load a page: ${page.url()}`);
    if (url.origin === clientOrigin && leftClient) return (await page.locator('body').innerText()).trim();
    if (url.origin === clientOrigin) {
      // The auto-submit may already be under way; if not, press the page's button.
      const moved = await page.waitForURL((u) => u.origin !== clientOrigin, { timeout: 3000 }).then(() => true, () => false);
      if (!moved) await navigateBy(page, page.locator('button[type="submit"], input[type="submit"]'), 'logout button');
      continue;
    }
    leftClient = true;
    const confirm = page.locator('button[name="logout"][value="yes"], button[name="logout"]');
    if (await confirm.count()) {
      await navigateBy(page, confirm, 'sign-out confirmation');
      continue;
    }
    const back = await page.waitForURL((u) => u.origin === clientOrigin, { timeout: 5000 }).then(() => true, () => false);
    if (!back) {
      const text = (await page.locator('body').innerText().catch(() => '')).trim().slice(0, 600);
      throw new FlowError(`the provider did not send the browser back after logout; it shows at ${page.url()}:\n${text}`);
    }
  }
  throw new FlowError(`the logout did not come back to the client after 12 pages: ${page.url()}`);
}

async function run(opts) {
  const providerOrigin = opts.start.origin;
  const userDataDir = opts.profileDir || fs.mkdtempSync(path.join(os.tmpdir(), 'browser-login-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
    viewport: { width: 1000, height: 900 },
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(Math.min(opts.timeout, 30) * 1000);
    await page.goto(opts.url, { waitUntil: 'domcontentloaded' }).catch((e) => {
      throw new FlowError(`cannot open ${opts.url}: ${e.message.split('\n')[0]}`);
    });
    if (opts.logout) return await logout(page, opts);
    let shot = false;
    let simTried = false;
    for (let step = 0; step < 12; step += 1) {
      const kind = await classify(page, providerOrigin);
      if (kind === 'landed') {
        await page.waitForLoadState('load');
        return (await page.locator('body').innerText()).trim();
      }
      if (kind === 'unreachable') throw new FlowError(`the browser could not load a page (is the listener running?): ${page.url()}`);
      if (kind === 'elsewhere') throw new FlowError(`the browser left the provider for a page that is not on loopback: ${page.url()}`);
      if (kind === 'unknown') {
        const text = (await page.locator('body').innerText().catch(() => '')).trim().slice(0, 600);
        throw new FlowError(`the provider shows a page this script does not know (an error page?) at ${page.url()}:\n${text}`);
      }
      if (opts.screenshot && !shot && kind !== 'oidc-consent') {
        await page.waitForLoadState('load');
        await page.screenshot({ path: opts.screenshot, fullPage: true });
        shot = true;
      }
      if (kind === 'oidc-login') await oidcLogin(page, opts);
      else if (kind === 'oidc-consent') await navigateBy(page, page.locator('button[type="submit"]'), 'Continue button');
      else if (kind === 'sim-login') {
        if (simTried) { // the page came back: it says what is wrong
          const why = (await page.locator('.error').first().innerText().catch(() => '')).trim();
          throw new FlowError(`the simulator refused the login${why ? `: ${why}` : ''}`);
        }
        simTried = true;
        await simLogin(page, opts);
      }
    }
    throw new FlowError(`still at the provider after 12 pages: ${page.url()}`);
  } finally {
    await context.close().catch(() => {});
    if (!opts.profileDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv.slice(2));
const timer = setTimeout(() => {
  process.stderr.write(`browser-login.mjs: gave up after ${opts.timeout} s without reaching the client's page\n`);
  process.exit(1);
}, opts.timeout * 1000);
run(opts).then((text) => {
  clearTimeout(timer);
  process.stdout.write(`${text}\n`);
  process.exit(0);
}, (e) => {
  clearTimeout(timer);
  const message = e instanceof FlowError ? e.message : `browser failure: ${e.message}`;
  process.stderr.write(`browser-login.mjs: ${message}\n`);
  process.exit(1);
});
