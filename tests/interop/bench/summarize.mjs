#!/usr/bin/env node
// Turns one wrk --latency output into a markdown table row.
// Usage: node bench/summarize.mjs WRK_OUTPUT_FILE SERVER ENDPOINT PEAK_RSS_KB
import fs from 'node:fs';

const [file, server, endpoint, peakKb] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8');
const ms = (v) => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60000 }[m[2]];
};
const pct = (p) => ms((new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(text) || [])[1] ?? '');
const total = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(text);
if (!total) {
  process.stderr.write(`summarize.mjs: ${file} has no wrk summary:\n${text}\n`);
  process.exit(1);
}
const secs = Number(total[2]) * { ms: 0.001, s: 1, m: 60 }[total[3]];
const non2xx = Number((/Non-2xx or 3xx responses: (\d+)/.exec(text) || [0, 0])[1]);
const errors = /Socket errors: (.*)/.exec(text);
const ok = (Number(total[1]) - non2xx) / secs;
const names = { sim: 'mva-sim', op: 'oidc-provider' };
const row = [names[server] ?? server, endpoint, ok.toFixed(0), pct(50).toFixed(2), pct(99).toFixed(2),
  `${non2xx}${errors ? ` (socket errors: ${errors[1]})` : ''}`, `${(Number(peakKb) / 1024).toFixed(1)} MB`];
process.stdout.write(`| ${row.join(' | ')} |\n`);
