#!/usr/bin/env node
// Makes an RSA 2048 key pair for a private_key_jwt test client.
// Usage: node lib/make-client-key.mjs PRIVATE_JWK_FILE > public-jwks.json
// Writes the private JWK (with kid, alg RS256) to PRIVATE_JWK_FILE (mode 600) and prints the public JWKS.
import crypto from 'node:crypto';
import fs from 'node:fs';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node lib/make-client-key.mjs PRIVATE_JWK_FILE > public-jwks.json\n');
  process.exit(2);
}
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = crypto.randomUUID();
const meta = { kid, alg: 'RS256', use: 'sig' };
fs.writeFileSync(file, JSON.stringify({ ...privateKey.export({ format: 'jwk' }), ...meta }), { mode: 0o600 });
process.stdout.write(`${JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), ...meta }] })}\n`);
