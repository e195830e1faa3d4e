// The anchor of docs/benchmarks.md "Web: mva serve": express-openid-connect as a BFF with its sessions in Redis
// (connect-redis), forwarding every authenticated request to the upstream with the session's access token, as
// `mva serve --upstream` does. Plain http on loopback, so two settings differ from a production set-up:
// baseURL is http (express-openid-connect warns but accepts it) and the session cookie's Secure flag is off.
// Usage: node express-bff.mjs PORT ISSUER CLIENT_ID UPSTREAM_URL REDIS_URL   (EOC_CLIENT_SECRET, EOC_SECRET in env)
import http from 'node:http';
import express from 'express';
import eoc from 'express-openid-connect';
import RedisStore from 'connect-redis';
import { createClient } from 'redis';

const [port, issuer, clientID, upstream, redisUrl] = process.argv.slice(2);
const redis = createClient({ url: redisUrl });
await redis.connect();

// connect-redis 7's methods are `async get(sid, cb = noop)`: express-openid-connect 2.20 (lib/utils/promisifyCompat.js)
// takes an async function of fewer than two declared parameters as promise-based, and connect-redis's get then
// resolves to `cb(null, session)` with the no-op callback, that is undefined: every session is "not found" and
// every request after the login redirects to the login again. Plain callback-style wrappers make it pass a callback.
const redisStore = new RedisStore({ client: redis, prefix: 'eoc:' });
const store = {
  get: (sid, callback) => redisStore.get(sid, callback),
  set: (sid, session, callback) => redisStore.set(sid, session, callback),
  destroy: (sid, callback) => redisStore.destroy(sid, callback),
};
const app = express();
app.use(
  eoc.auth({
    issuerBaseURL: issuer,
    baseURL: `http://127.0.0.1:${port}`,
    clientID,
    clientSecret: process.env.EOC_CLIENT_SECRET,
    clientAuthMethod: 'client_secret_basic',
    secret: process.env.EOC_SECRET,
    authRequired: true,
    idpLogout: false,
    authorizationParams: { response_type: 'code', scope: 'openid' },
    session: { store, cookie: { secure: false } },
  }),
);

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const target = new URL(upstream);
app.use((req, res) => {
  const headers = { ...req.headers, authorization: `Bearer ${req.oidc.accessToken.access_token}` };
  delete headers.cookie;
  const out = http.request(
    { host: target.hostname, port: target.port, path: req.originalUrl, method: req.method, headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => res.status(502).end());
  req.pipe(out);
});
app.listen(Number(port), '127.0.0.1', () => console.log(`express-openid-connect listening on 127.0.0.1:${port}`));
