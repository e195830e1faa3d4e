// The upstream application both BFFs forward to, and the "direct" column of bench/bff.sh: answers every request
// with 200 and a short body; `/check` answers whether the request carried a bearer token (bench/bff.sh checks that
// each BFF forwards the session's token). Usage: node upstream.mjs PORT
import http from 'node:http';

const port = Number(process.argv[2]);
const body = Buffer.from('hello from upstream\n');
http
  .createServer((req, res) => {
    if (req.url === '/check') {
      res.end(/^Bearer \S+$/.test(req.headers.authorization ?? '') ? 'bearer' : 'anonymous');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  })
  .listen(port, '127.0.0.1', () => console.log(`upstream listening on 127.0.0.1:${port}`));
