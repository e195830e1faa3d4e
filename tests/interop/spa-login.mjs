#!/usr/bin/env node
// Drives examples/spa-public/ in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): opens the
// SPA, clicks "Log in", logs in on the simulator's TestID page, lands back on the SPA's /callback route and waits
// for the masked pid, then logs out through end_session and waits to be back on the SPA. Prints `PID <masked pid>`,
// `PATH <path after login>`, `STORAGE <json>` (what the page keeps in Web Storage) and `LOGGED-OUT <path> <status>`,
// and exits 0; saves a screenshot of the logged-in page.
//
// Usage: node spa-login.mjs --screenshot FILE [--person PID] URL
// Exit codes: 0 logged in, 1 the flow failed (message on stderr), 2 bad arguments.
// Environment: CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
let screenshot;
let person = '01818510078';
let url;
for (let i = 0; i < args.length; i += 1) {
  if (args[i] === '--screenshot') screenshot = args[(i += 1)];
  else if (args[i] === '--person') person = args[(i += 1)];
  else url = args[i];
}
if (!url || !screenshot) {
  process.stderr.write('usage: node spa-login.mjs --screenshot FILE [--person PID] URL\n');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  page.setDefaultTimeout(30000);
  await page.goto(url);
  const spaOrigin = new URL(url).origin;
  await Promise.all([page.waitForURL((u) => u.origin !== spaOrigin), page.click('#login')]);
  await page.fill('input[name="pid_typed"]', person);
  await Promise.all([
    page.waitForURL((u) => u.origin === spaOrigin),
    page.click('button[name="action"][value="login"]'),
  ]);
  try {
    await page.waitForFunction(() => document.getElementById('pid').textContent !== ''
      || document.getElementById('error').textContent !== '');
  } catch (e) {
    throw new Error(`the SPA showed nothing at ${page.url()}: ${consoleLines.join(' | ')}`);
  }
  const error = await page.textContent('#error');
  await page.screenshot({ path: screenshot, fullPage: true });
  if (error) throw new Error(`the SPA reports: ${error}`);
  process.stdout.write(`PID ${await page.textContent('#pid')}\n`);
  process.stdout.write(`PATH ${new URL(page.url()).pathname}\n`);
  const storage = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
  process.stdout.write(`STORAGE ${storage}\n`);
  // Log out: the page posts to end_session (seen as a navigation request); confirm the provider's sign-out question
  // if it asks; wait to be back on the SPA's start page.
  let endSession = null;
  page.on('request', (r) => {
    if (r.isNavigationRequest() && r.method() === 'POST' && new URL(r.url()).origin !== spaOrigin) endSession = r.url();
  });
  await page.click('#logout');
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline && !(endSession && new URL(page.url()).origin === spaOrigin)) {
    const confirm = page.locator('button[name="logout"]');
    if (new URL(page.url()).origin !== spaOrigin && await confirm.count().catch(() => 0)) {
      await confirm.first().click().catch(() => {});
    }
    await page.waitForTimeout(200);
  }
  if (!endSession) throw new Error('the page did not post to end_session');
  await page.waitForLoadState('load');
  await page.waitForFunction(() => document.getElementById('status').textContent !== '');
  process.stdout.write(`END-SESSION ${new URL(endSession).pathname}\n`);
  if (new URL(page.url()).origin !== spaOrigin) throw new Error(`logout did not come back: ${page.url()}`);
  process.stdout.write(`LOGGED-OUT ${new URL(page.url()).pathname} ${await page.textContent('#status')}\n`);
} catch (e) {
  process.stderr.write(`spa-login.mjs: ${e.message}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
