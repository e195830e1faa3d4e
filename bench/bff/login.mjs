// Logs in once through a BFF against `mva sim` (its headless login switch, `sim_pid`), with no browser, and prints
// the Cookie header the BFF set: bench/bff.sh loads the BFF with it.
// Usage: node login.mjs LOGIN_URL ISSUER
import http from 'node:http';
import { HttpBrowser, login } from '../../tests/interop/lib/http-browser.mjs';

const [loginUrl, issuer] = process.argv.slice(2);
const origin = new URL(loginUrl).origin;
const browser = new HttpBrowser();

// A top-level navigation to the BFF. Not through fetch: undici always sends `Sec-Fetch-Mode: cors`, which a BFF
// rightly answers with 401 JSON instead of a redirect. Returns {status, location}.
function navigate(url) {
  const headers = { 'sec-fetch-mode': 'navigate', accept: 'text/html' };
  const cookie = browser.cookieHeader(url);
  if (cookie) headers.cookie = cookie;
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        res.resume();
        const h = new Headers();
        for (const line of [res.headers['set-cookie'] ?? []].flat()) h.append('set-cookie', line);
        browser.remember(url, new Response(null, { status: 200, headers: h }));
        const location = res.headers.location ? new URL(res.headers.location, url).href : undefined;
        res.on('end', () => resolve({ status: res.statusCode, location }));
      })
      .on('error', reject);
  });
}

const start = await navigate(loginUrl);
if (!start.location?.startsWith(`${issuer}/authorize`)) {
  throw new Error(`${loginUrl} answered ${start.status}, not a redirect to ${issuer}/authorize`);
}
const back = await login(browser, start.location, origin, { profile: 'sim' });
if (!back.url || back.page) throw new Error(`the simulator did not redirect back to ${origin}`);
const done = await navigate(back.url);
if (done.status >= 400) throw new Error(`the callback answered ${done.status}`);
const cookie = browser.cookieHeader(origin);
if (!cookie) throw new Error('no session cookie');
process.stdout.write(`${cookie}\n`);
