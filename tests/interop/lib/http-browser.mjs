// A tiny cookie-keeping HTTP "browser" for the interop scripts: it follows redirects one by one (never past the
// client's redirect URI), and logs in at either provider without a real browser:
//   - the simulator: headless login (`sim_pid` / `sim_acr` on /authorize; needs `[sim] headless_login = true`);
//   - oidc-provider: posts its dev-interactions login form (`login`, `password`).
// Tokens and codes never leave this module except as return values.

/** A cookie jar per origin, good enough for loopback providers (no domain/path matching beyond the origin). */
export class HttpBrowser {
  constructor() {
    this.cookies = new Map(); // origin -> Map(name -> value)
  }

  cookieHeader(url) {
    const jar = this.cookies.get(new URL(url).origin);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  remember(url, response) {
    const origin = new URL(url).origin;
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!this.cookies.has(origin)) this.cookies.set(origin, new Map());
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.cookies.get(origin).delete(name);
      else this.cookies.get(origin).set(name, value);
    }
  }

  /** One request, no redirect following. `form` (an object) makes it a urlencoded POST. */
  async request(url, { method = 'GET', form, headers = {} } = {}) {
    const h = { ...headers };
    const cookie = this.cookieHeader(url);
    if (cookie) h.cookie = cookie;
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(url, { method: form ? 'POST' : method, headers: h, body, redirect: 'manual' });
    this.remember(url, response);
    return response;
  }

  /**
   * Follows redirects from `url` until one points at `stopPrefix` (returned as {url}) or a page answers
   * (returned as {page: Response, url}). At most 10 hops.
   */
  async follow(url, stopPrefix, init) {
    let current = url;
    let response = await this.request(current, init);
    for (let hop = 0; hop < 10; hop += 1) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { page: response, url: current };
      const next = new URL(location, current).href;
      if (stopPrefix && next.startsWith(stopPrefix)) return { url: next, status: response.status };
      current = next;
      response = await this.request(current);
    }
    throw new Error(`more than 10 redirects from ${url}`);
  }
}

/**
 * Logs `person` in for the authorization URL `authUrl` and returns where the provider sends the browser back
 * (the redirect URI with code or error), or {page} when the provider stops on a page (an error page).
 * profile: 'sim' (headless login) or 'oidc-provider' (dev form).
 */
export async function login(browser, authUrl, redirectUri, { profile, person = '01818510078', acr } = {}) {
  const url = new URL(authUrl);
  if (profile === 'sim') {
    url.searchParams.set('sim_pid', person);
    if (acr) url.searchParams.set('sim_acr', acr);
    return browser.follow(url.href, redirectUri);
  }
  const first = await browser.follow(url.href, redirectUri);
  if (first.url && !first.page) return first;
  const html = await first.page.text();
  const action = /<form[^>]*action="([^"]+)"[^>]*>\s*<input type="hidden" name="prompt" value="login"/.exec(html);
  if (!action) return { page: new Response(html, { status: first.page.status }), url: first.url };
  const submit = new URL(action[1].replace(/&amp;/g, '&'), first.url).href;
  return browser.follow(submit, redirectUri, { form: { prompt: 'login', login: person, password: 'test' } });
}
