// TLS both ways: an https upstream whose certificate comes from a private CA (verified, host
// name included), and the gateway's own HTTPS listener.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { startIdp, startGateway, gatewayConfig, expectStatus, expectError } from './lib/index.mjs';

// A private CA and a server certificate for "localhost" (not for 127.0.0.1).
function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-tls-'));
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=gatewaystack test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
    '-keyout', 'server.key', '-out', 'server.csr');
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem');
  return { dir, ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') };
}

function httpsGet(url, { ca, headers = {} }) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, headers, timeout: 20000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: body }));
    });
    req.on('error', reject);
  });
}

describe('TLS', () => {
  let idp; let certs; let upstream; let upstreamPort; let gw;
  const seen = [];

  before(async () => {
    certs = makeCertificates();
    idp = await startIdp();
    upstream = https.createServer({ cert: fs.readFileSync(certs.cert), key: fs.readFileSync(certs.key) }, (req, res) => {
      seen.push({ url: req.url, user: req.headers['x-user-id'] });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, user: req.headers['x-user-id'] }));
    });
    await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = upstream.address().port;
    gw = await startGateway(null, gatewayConfig({
      idp,
      upstreams: {
        trusted: { url: `https://localhost:${upstreamPort}`, ca_file: certs.ca },
        untrusted: { url: `https://localhost:${upstreamPort}` },
        wrong_name: { url: `https://127.0.0.1:${upstreamPort}`, ca_file: certs.ca },
      },
      routes: [
        { name: 'trusted', prefix: '/trusted', upstream: 'trusted', strip_prefix: true },
        { name: 'untrusted', prefix: '/untrusted', upstream: 'untrusted', strip_prefix: true },
        { name: 'wrong_name', prefix: '/wrong-name', upstream: 'wrong_name', strip_prefix: true },
      ],
    }));
  });
  after(async () => {
    const r = await gw?.stop();
    await idp?.stop();
    await new Promise((res) => (upstream ? upstream.close(res) : res()));
    assert.equal(r?.code, 0);
  });

  it('forwards to an https upstream whose certificate chains to the configured CA', async () => {
    const token = await idp.token({ sub: 'alice_123' });
    const res = await gw.request('/trusted/data', { token });
    expectStatus(res, 200, gw);
    assert.equal(res.json.user, 'alice_123');
    assert.ok(seen.some((s) => s.url === '/data' && s.user === 'alice_123'));
  });

  it('refuses an upstream certificate that does not chain to a trusted CA (502, nothing sent)', async () => {
    const before = seen.length;
    const res = await gw.request('/untrusted/data', { token: await idp.token({ sub: 'alice_123' }) });
    expectError(res, 502, 'upstream_unavailable', gw);
    assert.equal(seen.length, before);
  });

  it('refuses an upstream certificate issued for another host name (502, nothing sent)', async () => {
    const before = seen.length;
    const res = await gw.request('/wrong-name/data', { token: await idp.token({ sub: 'alice_123' }) });
    expectError(res, 502, 'upstream_unavailable', gw);
    assert.equal(seen.length, before);
  });

  it('serves HTTPS itself with the configured certificate', async (t) => {
    const tlsGw = await startGateway(t, gatewayConfig({
      idp,
      server: { tls: { cert_file: certs.cert, key_file: certs.key } },
      upstreams: { trusted: { url: `https://localhost:${upstreamPort}`, ca_file: certs.ca } },
      routes: [{ name: 'trusted', prefix: '/trusted', upstream: 'trusted', strip_prefix: true }],
    }), { wait: 'none' });
    const base = `https://localhost:${tlsGw.port}`;
    let ready;
    for (let i = 0; i < 200 && !ready; i++) {
      try {
        const r = await httpsGet(`${base}/readyz`, { ca: fs.readFileSync(certs.ca) });
        if (r.status === 200) ready = r;
      } catch { /* not listening yet */ }
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ready, `the HTTPS listener never became ready\n${tlsGw.tail()}`);
    const token = await idp.token({ sub: 'bob_456' });
    const res = await httpsGet(`${base}/trusted/x`, { ca: fs.readFileSync(certs.ca), headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse(res.text).user, 'bob_456');
    const stopped = await tlsGw.stop();
    assert.equal(stopped.code, 0);
  });
});
