#!/usr/bin/env node
// Drives the VAT web page of `mva serve` in headless Chromium (Debian's /usr/bin/chromium through playwright-core):
// logged out first, then logged in, validates a return whose value is hostile (shown as text, never as markup),
// validates and submits the example return, waits for the receipt link and the payment information, switches the
// language, and logs out. Screenshots go to $MVA_ARTIFACTS.
//
// Environment:
//   MVA_BASE       the server's address, e.g. http://localhost:8080 (required)
//   MVA_COOKIE     the value of a session cookie to log in with (the session made through the store API); without
//                  it the script logs in through the page's button and the simulator's login page (MVA_PERSON)
//   MVA_PERSON     the simulator's test person for a real login (default 01818510078)
//   MVA_HEADLESS   "1": log in with the simulator's headless switch (sim_pid added to /authorize)
//   MVA_ORG        the organisation number to file for (required)
//   MVA_RETURN     the return to file (required); MVA_HOSTILE a return with a hostile value (required)
//   MVA_ARTIFACTS  folder for screenshots (required)
//   MVA_LOGOUT     "none": do not press log out (when the server has no logout route); default: press it
//   MVA_SWITCH     a URL to POST to once logged in (the test's load balancer then moves the traffic to another
//                  instance of the server); the page must go on working with the same session
//   CHROMIUM       default /usr/bin/chromium
// Exit codes: 0 all checks passed, 1 a check failed (message on stderr).
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) { process.stderr.write(`web-page.mjs: ${name} is not set\n`); process.exit(2); }
  return v;
};
const base = env('MVA_BASE');
const cookie = process.env.MVA_COOKIE;
const person = env('MVA_PERSON', '01818510078');
const org = env('MVA_ORG');
const returnFile = env('MVA_RETURN');
const hostileFile = env('MVA_HOSTILE');
const artifacts = env('MVA_ARTIFACTS');
const logout = env('MVA_LOGOUT', 'press');
const headless = process.env.MVA_HEADLESS === '1';
fs.mkdirSync(artifacts, { recursive: true });

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = false;
const page_errors = [];
try {
  const context = await browser.newContext({ locale: 'nb-NO', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => page_errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page_errors.push(m.text()); });
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs += 1; await d.dismiss(); });
  const shot = (name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

  // Logged out: the log-in button, no form.
  await page.goto(base + '/');
  await page.locator('#login').waitFor({ state: 'visible', timeout: 15000 });
  check(await page.locator('#vat').isHidden(), 'the form shows while logged out');
  check((await page.locator('h1').textContent()) === 'MVA-melding', 'Norwegian by default for nb-NO');
  await shot('1-logged-out');

  // Log in.
  if (cookie) {
    const host = new URL(base).hostname;
    await context.addCookies([{ name: '__Host-mva-session', value: cookie, domain: host, path: '/', secure: true, httpOnly: true, sameSite: 'Lax' }]);
    await page.reload();
  } else {
    // A real login: the page's button, the BFF's /oauth2/login, the simulator's /authorize (with its headless
    // switch the person is picked at once; otherwise its TestID page is filled in), the callback, back to `/`.
    if (headless) {
      await page.route((u) => u.pathname.endsWith('/authorize'), (route) => {
        const u = new URL(route.request().url());
        u.searchParams.set('sim_pid', person);
        route.continue({ url: u.href });
      });
    }
    await page.click('#login');
    await page.waitForURL((u) => u.href.startsWith(base) || u.pathname.endsWith('/authorize'), { timeout: 15000 });
    if (!page.url().startsWith(base)) {
      const typed = page.locator('input[name="pid_typed"]');
      if (await typed.count()) {
        await typed.fill(person);
        await page.locator('button[name="action"][value="login"]').click();
      }
      await page.waitForURL((u) => u.href.startsWith(base), { timeout: 30000 });
    }
  }
  await page.locator('#vat').waitFor({ state: 'visible', timeout: 15000 });
  const who = await page.locator('#user').textContent();
  check(/\*{5}/.test(who) && !who.includes(person.slice(6)), `the user is shown masked: ${who}`);
  await shot('1b-logged-in');

  if (process.env.MVA_SWITCH) {
    // Another instance from here on: the session made by the first must work there.
    const switched = await fetch(process.env.MVA_SWITCH, { method: 'POST' });
    check(switched.ok, `the load balancer did not switch: ${switched.status}`);
    await page.reload();
    await page.locator('#vat').waitFor({ state: 'visible', timeout: 15000 });
    check(/\*{5}/.test(await page.locator('#user').textContent()), 'the session works on the other instance');
  }

  // A hostile value: shown as text, never run.
  await page.fill('#org', org);
  await page.setInputFiles('#return', hostileFile);
  await page.click('#validate');
  await page.locator('#findings tbody tr').first().waitFor({ timeout: 30000 });
  const cells = await page.locator('#findings tbody td').allTextContents();
  check(cells.some((c) => c.includes('<script>')), `the hostile value is shown as text: ${JSON.stringify(cells)}`);
  check(await page.locator('#findings script').count() === 0, 'a script element was injected');
  check(await page.locator('#submit').isDisabled(), 'an invalid return can be submitted');
  const lines = await page.locator('#findings td.line').allTextContents();
  check(lines.some((l) => /^\d+/.test(l)), `findings show line numbers: ${JSON.stringify(lines)}`);
  await shot('2-hostile-findings');

  // The example return: valid, submitted, feedback followed to the receipt.
  await page.setInputFiles('#return', returnFile);
  await page.click('#validate');
  await page.locator('#submit:enabled').waitFor({ timeout: 30000 });
  await shot('3-validated');
  await page.click('#submit');
  await page.locator('#receipt').waitFor({ state: 'visible', timeout: 60000 });
  check(await page.locator('#payment').isVisible(), 'the payment information is shown');
  const kid = await page.locator('#payment dd').nth(1).textContent();
  check(/\d/.test(kid), `a KID is shown: ${kid}`);
  const href = await page.locator('#receipt').getAttribute('href');
  check(href && href.startsWith('blob:'), `the receipt is offered: ${href}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#receipt')]);
  const pdfStart = fs.readFileSync(await download.path()).subarray(0, 4).toString('latin1');
  check(download.suggestedFilename() === `kvittering-${org}.pdf`, `receipt file name: ${download.suggestedFilename()}`);
  check(pdfStart === '%PDF', `the receipt is a PDF: ${pdfStart}`);
  await shot('4-submitted-nb');

  // English.
  await page.click('#lang');
  check((await page.locator('h1').textContent()) === 'VAT return', 'the language toggle switches to English');
  await shot('5-submitted-en');

  // A reload resumes following the same submission.
  await page.reload();
  await page.locator('#receipt').waitFor({ state: 'visible', timeout: 30000 });
  check((await page.locator('h1').textContent()) === 'VAT return', 'the chosen language is kept');

  if (logout !== 'none') {
    // Log out: a POST form to /oauth2/logout; the BFF revokes, ends the provider's session (a POST to its
    // end_session, which may ask to confirm) and comes back.
    await Promise.all([page.waitForNavigation({ timeout: 15000 }), page.click('#logout button')]);
    const origin = new URL(base).origin;
    const back = () => {
      const u = new URL(page.url());
      return u.origin === origin && !u.pathname.startsWith('/oauth2/logout');
    };
    for (let step = 0; step < 10 && !back(); step += 1) {
      await page.waitForLoadState('load');
      if (back()) break;
      const here = page.url();
      const confirm = page.locator('button[name="logout"][value="yes"], button[name="logout"]');
      if (new URL(here).origin !== origin && await confirm.count()) await confirm.first().click().catch(() => {});
      await page.waitForURL((u) => u.href !== here, { timeout: 5000 }).catch(() => {});
    }
    if (!back()) await shot('6-logout-stuck');
    check(back(), `logout came back to the page: ${page.url()}: ${(await page.locator('body').innerText().catch(() => '')).slice(0, 400)}`);
    await page.goto(base + '/');
    await page.locator('#login').waitFor({ state: 'visible', timeout: 30000 });
    const after = await context.cookies(base);
    check(!after.some((c) => c.name === '__Host-mva-session' && c.value), 'the session cookie is gone');
    await shot('6-logged-out-again');
  } else {
    check(await page.locator('#logout').isVisible(), 'the log-out button shows');
  }
  check(dialogs === 0, 'a dialog opened (script ran)');
  const relevant = page_errors.filter((e) => !/status of 40[14]/.test(e));
  check(relevant.length === 0, `errors in the page: ${relevant.join(' | ')}`);
} catch (e) {
  failed = true;
  process.stderr.write(`web-page.mjs: ${e.message}\n`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
