// The decision endpoint: nginx auth_request in front of a backend asks the gateway, which
// answers 200 with the identity headers or the rejection, and never forwards anything itself.
// Also the Envoy ext_authz (path prefix) and Traefik ForwardAuth (X-Forwarded-*) forms.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startIdp, startUpstream, startGateway, gatewayConfig, expectStatus, expectError } from './lib/index.mjs';
import { freePort, eventually } from './lib/net.mjs';
import { tempDir, runCli } from './lib/gateway.mjs';

const NGINX = '/usr/sbin/nginx';
const DECIDE = '/_gatewaystack/decide';

async function startNginx({ gatewayPort, backendPort }) {
  const dir = tempDir('gw-nginx-');
  const port = await freePort();
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `
${root ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location = /_auth {
      internal;
      proxy_pass http://127.0.0.1:${gatewayPort}${DECIDE};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location / {
      auth_request /_auth;
      auth_request_set $user $upstream_http_x_user_id;
      auth_request_set $role $upstream_http_x_user_role;
      proxy_set_header X-User-Id $user;
      proxy_set_header X-User-Role $role;
      proxy_pass http://127.0.0.1:${backendPort};
    }
  }
}
`);
  const proc = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  process.on('exit', () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } });
  try {
    await eventually(async () => {
      assert.equal(proc.exitCode, null, `nginx exited: ${out}`);
      await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
      return true;
    }, { what: 'nginx listening' });
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    url,
    log: () => out + (fs.existsSync(`${dir}/error.log`) ? fs.readFileSync(`${dir}/error.log`, 'utf8') : ''),
    stop: async () => { if (proc.exitCode === null) proc.kill('SIGTERM'); await exited; },
  };
}

describe('decision endpoint', () => {
  let idp; let backend; let gw; let nginx;
  before(async () => {
    idp = await startIdp();
    backend = await startUpstream((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ user: req.headers['x-user-id'] ?? null, role: req.headers['x-user-role'] ?? null, url: req.url }));
    });
    gw = await startGateway(null, gatewayConfig({
      idp,
      server: { decision_endpoint: DECIDE },
      upstreams: { calendar: backend.url },
      routes: [
        { name: 'calendar', prefix: '/calendar', upstream: 'calendar' },
        { name: 'status', prefix: '/status', upstream: 'calendar', public: true },
      ],
      policy: { routes: { calendar: { requiredRoles: ['doctor'] }, status: {} } },
    }));
    nginx = await startNginx({ gatewayPort: gw.port, backendPort: backend.port });
  });
  after(async () => {
    await nginx?.stop();
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), backend?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}`);
  });

  const viaNginx = async (p, { token, headers = {} } = {}) => {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    const res = await fetch(`${nginx.url}${p}`, { headers: h, signal: AbortSignal.timeout(20000) });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  it('nginx: an allowed user reaches the backend with the verified identity', async () => {
    const token = await idp.token({ sub: 'dr_smith', roles: ['doctor'] });
    const res = await viaNginx('/calendar/events?day=1', { token, headers: { 'x-user-id': 'mallory' } });
    assert.equal(res.status, 200, `${res.text}\n${nginx.log()}\n${gw.log()}`);
    const body = JSON.parse(res.text);
    assert.equal(body.user, 'dr_smith');
    assert.equal(body.role, 'doctor');
    assert.equal(body.url, '/calendar/events?day=1');
  });

  it('nginx: no token is 401, a wrong role 403, and the backend sees neither', async () => {
    const before = backend.server.requests.length;
    const anonymous = await viaNginx('/calendar/events');
    assert.equal(anonymous.status, 401, anonymous.text);
    const nurse = await viaNginx('/calendar/events', { token: await idp.token({ sub: 'nurse_jones', roles: ['nurse'] }) });
    assert.equal(nurse.status, 403, nurse.text);
    assert.equal(backend.server.requests.length, before);
  });

  it('answers 200 with identity headers and no body, or the pipeline\'s rejection; never forwards', async () => {
    const before = backend.server.requests.length;
    const token = await idp.token({ sub: 'dr_who', roles: ['doctor', 'admin'], scope: 'a b' });
    const ok = await gw.request(DECIDE, { token, headers: { 'x-original-uri': '/calendar/x', 'x-original-method': 'DELETE' } });
    expectStatus(ok, 200, gw);
    assert.equal(ok.text, '');
    assert.equal(ok.headers.get('x-user-id'), 'dr_who');
    assert.equal(ok.headers.get('x-user-role'), 'doctor,admin');
    assert.equal(ok.headers.get('x-user-scopes'), 'a b');
    const missing = await gw.request(DECIDE, { headers: { 'x-original-uri': '/calendar/x' } });
    expectError(missing, 401, 'missing_token', gw);
    assert.match(missing.headers.get('www-authenticate'), /^Bearer realm="gatewaystack"/);
    expectError(await gw.request(DECIDE, { token, headers: { 'x-original-uri': '/nowhere' } }), 404, 'no_route', gw);
    const open = await gw.request(DECIDE, { headers: { 'x-original-uri': '/status' } });
    expectStatus(open, 200, gw);
    assert.equal(open.headers.get('x-user-id'), null);
    assert.equal(backend.server.requests.length, before);
  });

  it('Envoy ext_authz: the original path follows the endpoint prefix', async () => {
    const token = await idp.token({ sub: 'dr_env', roles: ['doctor'] });
    const ok = await gw.request(`${DECIDE}/calendar/events?x=1`, { token });
    expectStatus(ok, 200, gw);
    assert.equal(ok.headers.get('x-user-id'), 'dr_env');
    const nurse = await idp.token({ sub: 'nurse_env', roles: ['nurse'] });
    expectError(await gw.request(`${DECIDE}/calendar/events`, { token: nurse }), 403, 'role_missing', gw);
  });

  it('Traefik ForwardAuth: X-Forwarded-Method and X-Forwarded-Uri', async () => {
    const token = await idp.token({ sub: 'dr_tr', roles: ['doctor'] });
    const ok = await gw.request(DECIDE, { token, headers: { 'x-forwarded-method': 'POST', 'x-forwarded-uri': '/calendar/new' } });
    expectStatus(ok, 200, gw);
    assert.equal(ok.headers.get('x-user-id'), 'dr_tr');
    expectError(await gw.request(DECIDE, { headers: { 'x-forwarded-uri': '/calendar/new' } }), 401, 'missing_token', gw);
  });
});

describe('decision endpoint: audit', () => {
  let idp; let backend;
  before(async () => {
    idp = await startIdp();
    backend = await startUpstream((req, res) => res.end('{}'));
  });
  after(async () => { await Promise.all([idp?.stop(), backend?.close()]); });

  it('records each decision under the original method, path and route', async () => {
    const dir = tempDir('gw-decide-audit-');
    const db = path.join(dir, 'audit.sqlite');
    const gw = await startGateway(null, gatewayConfig({
      idp,
      server: { decision_endpoint: DECIDE },
      upstreams: { calendar: backend.url },
      routes: [{ name: 'calendar', prefix: '/calendar', upstream: 'calendar' }],
      policy: { routes: { calendar: { requiredRoles: ['doctor'] } } },
      extra: { audit: { sqlite: { path: db, flush_interval: '10ms' } } },
    }));
    const allowed = await gw.request(DECIDE, {
      token: await idp.token({ sub: 'dr_audit', roles: ['doctor'] }),
      headers: { 'x-original-uri': '/calendar/events', 'x-original-method': 'PUT' },
    });
    expectStatus(allowed, 200, gw);
    const denied = await gw.request(DECIDE, {
      token: await idp.token({ sub: 'nurse_audit', roles: ['nurse'] }),
      headers: { 'x-original-uri': '/calendar/events' },
    });
    expectError(denied, 403, 'role_missing', gw);
    const { code } = await gw.stop();
    assert.equal(code, 0, gw.log());
    const q = await runCli(['audit', 'query', '--sqlite', db, '--limit', '100', '--format', 'json']);
    assert.equal(q.code, 0, q.stderr);
    const rows = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const a = rows.find((r) => r.request_id === allowed.headers.get('x-request-id'));
    const d = rows.find((r) => r.request_id === denied.headers.get('x-request-id'));
    assert.ok(a && d, JSON.stringify(rows));
    assert.equal(a.status, 200);
    assert.equal(a.user_id, 'dr_audit');
    assert.equal(a.method, 'PUT');
    assert.equal(a.path, '/calendar/events');
    assert.equal(a.route, 'calendar');
    assert.equal(d.status, 403);
    assert.equal(d.reason, 'role_missing');
    assert.equal(backend.server.requests.length, 0);
  });
});
