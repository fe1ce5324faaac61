// Runs the real gatewaystack binary (path from $GATEWAYSTACK_BIN, set by tests/e2e/run.sh).
//
//   const gw = await startGateway(t, config);   // writes config, `serve --config`, waits for /readyz
//   const res = await gw.request('/calendar/events', { token });   // {status, headers, text, json}
//   const { code } = await gw.stop();          // SIGTERM; the test's after-hook also stops it
//   gw.log()                                   // everything the process printed so far
//   runCli(['check', '--config', file])        // {code, stdout, stderr}
//
// Configs are plain objects written as JSON (YAML is a superset of JSON) into a fresh temp dir;
// server.listen is filled in with a free loopback port. gatewayConfig() builds the usual shape.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { freePort } from './net.mjs';

export const BINARY = process.env.GATEWAYSTACK_BIN;

const live = new Set();
process.on('exit', () => { for (const p of live) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

export function binary() {
  assert.ok(BINARY && fs.existsSync(BINARY), `GATEWAYSTACK_BIN must name the gatewaystack binary (got ${BINARY}); run tests/e2e/run.sh BINARY`);
  return BINARY;
}

export function tempDir(prefix = 'gw-e2e-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Writes `config` (object -> JSON, string -> as is) to DIR/name, returns the path.
export function writeConfig(config, { dir = tempDir(), name = 'gatewaystack.yaml' } = {}) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof config === 'string' ? config : `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

// The usual config: one issuer (the test IdP, explicit jwks_uri unless discovery: true),
// upstreams {name: url | {url, ...}}, routes as given. `extra` is merged at top level.
// The policy is deny by default, so unless `policy` is given every route gets an empty
// (allow any verified user) route rule and every model an empty model rule.
export function gatewayConfig({ idp, issuer = {}, discovery = false, upstreams = {}, routes = [], server = {}, identity = {}, policy, extra = {} }) {
  const ups = {};
  for (const [name, u] of Object.entries(upstreams)) {
    ups[name] = typeof u === 'string' ? { url: u, connect_timeout: '5s', response_timeout: '30s' } : u;
  }
  const issuers = idp ? [{
    issuer: idp.issuer,
    ...(discovery ? {} : { jwks_uri: idp.jwksUri }),
    audiences: [idp.audience],
    algorithms: ['RS256'],
    refresh_interval: '5m',
    min_refetch_interval: '1s',
    claims: { user_id: 'sub', roles: ['roles'], scopes: ['scope', 'scp'] },
    ...issuer,
  }] : [];
  return {
    server: { workers: 2, ...server },
    identity: { realm: 'gatewaystack', clock_skew: '60s', issuers, ...identity },
    upstreams: ups,
    routes,
    policy: policy ?? { routes: Object.fromEntries(routes.map((r) => [r.name, {}])), models: { '*': {} } },
    logging: { level: 'info', access_log: true },
    ...extra,
  };
}

export function runCli(args, { env = {}, timeoutMs = 30000 } = {}) {
  return new Promise((resolve) => {
    execFile(binary(), args, { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function poll(url, proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return { exited: true, last };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      last = `${res.status} ${text}`;
      if (res.status === 200) return { ok: true, last };
    } catch (e) { last = e.cause?.code ?? e.message; }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { timeout: true, last };
}

// Starts `serve --config` and waits until `wait` ('ready' = /readyz 200, 'healthy' = /healthz
// 200, 'none'). `t` (a node:test context, or null) gets an after-hook that stops the process.
export async function startGateway(t, config, { wait = 'ready', env = {}, timeoutMs = 60000 } = {}) {
  const dir = tempDir();
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const cfg = typeof config === 'string' ? config.replaceAll('${PORT}', String(port))
      : { ...config, server: { ...(config.server ?? {}), listen: `127.0.0.1:${port}` } };
    const configPath = writeConfig(cfg, { dir });
    const output = [];
    const stdout = [];
    // cwd = the temp dir: files the gateway writes by default (the SQLite audit) land there.
    const proc = spawn(binary(), ['serve', '--config', configPath], {
      cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(proc);
    const exited = new Promise((resolve) => proc.on('exit', (code, signal) => { live.delete(proc); resolve({ code, signal }); }));
    proc.stdout.on('data', (d) => { output.push(d); stdout.push(d); if (process.env.E2E_VERBOSE) process.stderr.write(d); });
    proc.stderr.on('data', (d) => { output.push(d); if (process.env.E2E_VERBOSE) process.stderr.write(d); });
    const url = `http://127.0.0.1:${port}`;
    const gw = {
      url, port, proc, configPath, dir, exited,
      log: () => Buffer.concat(output).toString('utf8'),
      stdout: () => Buffer.concat(stdout).toString('utf8'),
      // Last lines of the log, for assertion messages.
      tail: (n = 40) => Buffer.concat(output).toString('utf8').split('\n').slice(-n).join('\n'),
      async request(p, { token, headers = {}, method = 'GET', body, redirect = 'manual', signal } = {}) {
        const h = { ...headers };
        if (token) h.authorization = `Bearer ${token}`;
        let payload = body;
        if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
          payload = JSON.stringify(body);
          h['content-type'] ??= 'application/json';
        }
        const res = await fetch(`${url}${p}`, { method, headers: h, body: payload, redirect, signal: signal ?? AbortSignal.timeout(60000) });
        const text = await res.text();
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        return { status: res.status, headers: res.headers, text, json };
      },
      // SIGTERM (or `signal`), then wait up to timeoutMs for exit; SIGKILL after that.
      async stop({ signal = 'SIGTERM', timeoutMs: stopMs = 45000 } = {}) {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
        const timer = setTimeout(() => proc.kill('SIGKILL'), stopMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      },
    };
    if (t) t.after(() => gw.stop());
    if (wait === 'none') return gw;
    const r = await poll(`${url}/${wait === 'ready' ? 'readyz' : 'healthz'}`, proc, timeoutMs);
    if (r.ok) return gw;
    await gw.stop();
    const log = gw.log();
    if (r.exited && attempt < 3 && /address (already )?in use|EADDRINUSE|bind/i.test(log)) continue;
    throw new Error(`gatewaystack did not become ${wait} on ${url} (${r.exited ? 'process exited' : 'timeout'}; last probe: ${r.last})\nconfig ${configPath}:\n${fs.readFileSync(configPath, 'utf8')}\noutput:\n${log}`);
  }
}

// assert.equal on a response's status with the body and the gateway's log tail in the message.
export function expectStatus(res, status, gw) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text ?? res.body}\n--- gateway log tail ---\n${gw ? gw.tail() : ''}`);
}

// Asserts the JSON error shape {"error":{"code", "message"}} with `code` and the status.
export function expectError(res, status, code, gw) {
  expectStatus(res, status, gw);
  const json = res.json ?? (() => { try { return JSON.parse(res.body); } catch { return undefined; } })();
  assert.ok(json && json.error, `expected a JSON error body, got: ${res.text ?? res.body}`);
  assert.equal(json.error.code, code, `error.code: ${res.text ?? res.body}`);
  assert.equal(typeof json.error.message, 'string');
}
