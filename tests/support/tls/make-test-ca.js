'use strict';
/**
 * Generates a throw-away test CA and a server certificate for 127.0.0.1/localhost (used by the Key
 * Vault double) into `.test-certs/`. The Azure SDK trusts only Node's CA store, and Node reads
 * NODE_EXTRA_CA_CERTS once at process start, so the CA must exist before jest (and every child
 * process it starts) launches: see jest-with-test-ca.js. Plain JavaScript so it runs before any
 * compilation step.
 */
const fs = require('node:fs');
const path = require('node:path');
const { X509Certificate } = require('node:crypto');
const selfsigned = require('selfsigned');

const CERT_DIR = path.resolve(__dirname, '..', '..', '..', '.test-certs');
const FILES = {
  caCert: path.join(CERT_DIR, 'ca.pem'),
  caKey: path.join(CERT_DIR, 'ca-key.pem'),
  serverCert: path.join(CERT_DIR, 'server.pem'),
  serverKey: path.join(CERT_DIR, 'server-key.pem'),
  /** The test CA plus whatever NODE_EXTRA_CA_CERTS already trusted (e.g. a corporate proxy CA). */
  trustBundle: path.join(CERT_DIR, 'extra-ca-bundle.pem'),
};
const ONE_DAY_MS = 24 * 60 * 60 * 1000;

/** Reuses existing certificates while they are valid for at least another day. */
function stillValid() {
  if (![FILES.caCert, FILES.caKey, FILES.serverCert, FILES.serverKey].every((file) => fs.existsSync(file))) return false;
  try {
    const server = new X509Certificate(fs.readFileSync(FILES.serverCert));
    const ca = new X509Certificate(fs.readFileSync(FILES.caCert));
    const horizon = Date.now() + ONE_DAY_MS;
    return Date.parse(server.validTo) > horizon && Date.parse(ca.validTo) > horizon && server.checkIssued(ca);
  } catch {
    return false;
  }
}

async function makeTestCa() {
  if (stillValid()) return FILES;
  fs.mkdirSync(CERT_DIR, { recursive: true });
  const notAfterDate = new Date(Date.now() + 30 * ONE_DAY_MS);
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'kv-jwt test CA (throw-away)' }], {
    algorithm: 'sha256',
    keyType: 'ec',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    algorithm: 'sha256',
    keyType: 'ec',
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  fs.writeFileSync(FILES.caCert, ca.cert);
  fs.writeFileSync(FILES.caKey, ca.private, { mode: 0o600 });
  fs.writeFileSync(FILES.serverCert, server.cert);
  fs.writeFileSync(FILES.serverKey, server.private, { mode: 0o600 });
  return FILES;
}

/**
 * Writes the bundle NODE_EXTRA_CA_CERTS should name: the test CA, plus the file the variable named
 * before (Node honours only one such file, and replacing it would drop what it trusted).
 */
function writeTrustBundle(previous) {
  const parts = [fs.readFileSync(FILES.caCert, 'utf8').trim()];
  if (previous && path.resolve(previous) !== FILES.trustBundle && fs.existsSync(previous)) {
    parts.push(fs.readFileSync(previous, 'utf8').trim());
  }
  fs.writeFileSync(FILES.trustBundle, `${parts.join('\n')}\n`);
  return FILES.trustBundle;
}

/** Whether the file named by NODE_EXTRA_CA_CERTS (read at this process's start) holds the test CA. */
function isTestCaTrusted(env) {
  const named = env.NODE_EXTRA_CA_CERTS;
  if (!named || !fs.existsSync(named) || !fs.existsSync(FILES.caCert)) return false;
  return fs.readFileSync(named, 'utf8').includes(fs.readFileSync(FILES.caCert, 'utf8').trim());
}

module.exports = { makeTestCa, writeTrustBundle, isTestCaTrusted, TEST_CERT_FILES: FILES };

if (require.main === module) {
  makeTestCa().then(
    (files) => process.stdout.write(`test CA: ${files.caCert}\n`),
    (error) => {
      process.stderr.write(`could not create the test CA: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
