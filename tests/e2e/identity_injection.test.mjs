// The seed's two directions, end to end: the gateway verifies the user's token and the upstream
// learns who the user is only from the gateway (X-User-Id, body `user`), never from the client.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  startIdp, startCalendar, startOpenAiMock, startGateway, gatewayConfig, rawRequest, freePort,
  expectStatus, eventually,
} from './lib/index.mjs';

const PROVIDER_KEY = 'sk-provider-test-key-0123456789';

describe('identity injection (seed directions 1 and 2)', () => {
  let idp; let calendar; let openai; let gw; let adminUrl;

  before(async () => {
    idp = await startIdp();
    calendar = await startCalendar();
    openai = await startOpenAiMock();
    const adminPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    gw = await startGateway(null, gatewayConfig({
      idp,
      extra: { admin: { listen: `127.0.0.1:${adminPort}` } },
      upstreams: {
        calendar: calendar.url,
        signed: { url: calendar.url, identity_assertion: { header: 'X-Gateway-Assertion', ttl: '60s' } },
        openai: { url: openai.url, credential: { header: 'Authorization', value: 'Bearer ${OPENAI_API_KEY}' } },
      },
      routes: [
        { name: 'calendar', prefix: '/calendar', upstream: 'calendar', kind: 'generic' },
        { name: 'public', prefix: '/public', upstream: 'calendar', kind: 'generic', public: true },
        { name: 'signed', prefix: '/signed', upstream: 'signed', strip_prefix: true },
        { name: 'openai', prefix: '/v1', upstream: 'openai', kind: 'openai' },
      ],
    }), { env: { OPENAI_API_KEY: PROVIDER_KEY } });
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), calendar?.close(), openai?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}\n${gw.tail()}`);
  });

  it('calendar backend receives X-User-Id alice_123 from the verified token and Alice sees only her events', async () => {
    const token = await idp.token({ sub: 'alice_123' });
    const res = await gw.request('/calendar/events', { token });
    expectStatus(res, 200, gw);
    assert.equal(res.json.user, 'alice_123');
    assert.ok(res.json.events.length > 0);
    assert.ok(res.json.events.every((e) => e.owner === 'alice_123'), JSON.stringify(res.json));
    const seen = calendar.server.requests.at(-1);
    assert.equal(seen.headers['x-user-id'], 'alice_123');
  });

  it('another user sees only their own events through the same route', async () => {
    const token = await idp.token({ sub: 'bob_456' });
    const res = await gw.request('/calendar/events', { token });
    expectStatus(res, 200, gw);
    assert.equal(res.json.user, 'bob_456');
    assert.ok(res.json.events.every((e) => e.owner === 'bob_456'));
    assert.ok(!res.json.events.some((e) => e.owner === 'alice_123'));
  });

  it('roles, scopes and email claims become X-User-Role, X-User-Scopes and X-User-Email', async () => {
    const token = await idp.token({ sub: 'dr_smith', roles: ['doctor', 'physician_assistant'], scope: 'medical:write calendar:read', email: 'smith@example.org' });
    const res = await gw.request('/calendar/echo', { token });
    expectStatus(res, 200, gw);
    const h = res.json.headers;
    assert.equal(h['x-user-id'], 'dr_smith');
    assert.deepEqual(h['x-user-role'].split(',').map((s) => s.trim()), ['doctor', 'physician_assistant']);
    assert.deepEqual(h['x-user-scopes'].split(' '), ['medical:write', 'calendar:read']);
    assert.equal(h['x-user-email'], 'smith@example.org');
  });

  it("the client's Authorization header is not forwarded to a backend without a configured credential", async () => {
    const token = await idp.token();
    const res = await gw.request('/calendar/echo', { token });
    expectStatus(res, 200, gw);
    assert.equal(res.json.headers.authorization, undefined);
    assert.ok(!JSON.stringify(res.json.rawHeaders).includes(token.split('.')[2]), 'token leaked upstream');
  });

  it('spoofed identity headers in any case and any number of copies never reach the upstream', async () => {
    const token = await idp.token({ sub: 'alice_123' });
    const res = await rawRequest(gw.port, [
      'GET /calendar/echo HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      `Authorization: Bearer ${token}`,
      'x-user-id: mallory',
      'X-USER-ID: root',
      'X-User-Id: bob_456',
      'X-User-Role: admin',
      'x-user-role: superuser',
      'X-User-Scopes: medical:write admin:*',
      'X-User-Email: boss@example.org',
      'X-Tenant-Id: other-tenant',
      'X-Team-Id: other-team',
    ].join('\r\n'));
    expectStatus(res, 200, gw);
    const raw = res.json.rawHeaders;
    const values = (name) => raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === name ? [raw[i + 1]] : []));
    assert.deepEqual(values('x-user-id'), ['alice_123'], JSON.stringify(raw));
    assert.deepEqual(values('x-user-role'), [], JSON.stringify(raw));
    assert.deepEqual(values('x-user-scopes'), [], JSON.stringify(raw));
    assert.deepEqual(values('x-user-email'), [], JSON.stringify(raw));
    assert.deepEqual(values('x-tenant-id'), [], JSON.stringify(raw));
    assert.deepEqual(values('x-team-id'), [], JSON.stringify(raw));
    assert.ok(!JSON.stringify(raw).includes('mallory') && !JSON.stringify(raw).includes('admin'), JSON.stringify(raw));
  });

  it('a public route needs no token and still strips client identity headers', async () => {
    const res = await rawRequest(gw.port, [
      'GET /public/echo HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      'X-User-Id: mallory',
      'x-user-role: admin',
    ].join('\r\n'));
    expectStatus(res, 200, gw);
    const raw = res.json.rawHeaders.map((v) => v.toLowerCase());
    assert.ok(!raw.includes('x-user-id') && !raw.includes('x-user-role'), JSON.stringify(res.json.rawHeaders));
    assert.ok(!raw.includes('mallory'));
  });

  it("OpenAI upstream gets the gateway's provider key, never the user's token, and body user = verified id", async () => {
    const token = await idp.token({ sub: 'alice_123' });
    const res = await gw.request('/v1/chat/completions', {
      method: 'POST', token,
      body: { model: 'gpt-4o', user: 'mallory', messages: [{ role: 'user', content: 'hi' }] },
    });
    expectStatus(res, 200, gw);
    assert.equal(res.json.object, 'chat.completion');
    assert.ok(res.json.usage.total_tokens > 0);
    const last = openai.server.last;
    assert.equal(last.headers.authorization, `Bearer ${PROVIDER_KEY}`);
    assert.ok(!JSON.stringify(last.rawHeaders).includes(token), 'user token reached the provider');
    assert.equal(last.body.user, 'alice_123');
    assert.equal(last.body.model, 'gpt-4o');
    assert.deepEqual(last.body.messages, [{ role: 'user', content: 'hi' }]);
    assert.equal(last.headers['x-user-id'], 'alice_123');
  });

  it('X-Request-Id is generated, echoed to the client and forwarded; a sane client id is kept', async () => {
    const token = await idp.token();
    const a = await gw.request('/calendar/echo', { token });
    expectStatus(a, 200, gw);
    const generated = a.headers.get('x-request-id');
    assert.ok(generated && generated.length >= 8, `x-request-id: ${generated}`);
    assert.equal(a.json.headers['x-request-id'], generated);
    const b = await gw.request('/calendar/echo', { token, headers: { 'x-request-id': 'client-req-42' } });
    assert.equal(b.headers.get('x-request-id'), 'client-req-42');
    assert.equal(b.json.headers['x-request-id'], 'client-req-42');
    const c = await gw.request('/calendar/echo', { token });
    assert.notEqual(c.headers.get('x-request-id'), generated);
    const denied = await gw.request('/calendar/echo');
    assert.ok(denied.headers.get('x-request-id'), 'error responses carry X-Request-Id too');
  });

  it('forwarded requests carry X-Forwarded-For and X-Forwarded-Proto', async () => {
    const token = await idp.token();
    const res = await gw.request('/calendar/echo', { token, headers: { 'x-forwarded-for': '203.0.113.7' } });
    expectStatus(res, 200, gw);
    const xff = res.json.headers['x-forwarded-for'];
    assert.match(xff, /^203\.0\.113\.7,\s*127\.0\.0\.1$/);
    assert.equal(res.json.headers['x-forwarded-proto'], 'http');
  });

  it('/healthz and /readyz answer JSON', async () => {
    const h = await gw.request('/healthz');
    expectStatus(h, 200, gw);
    assert.deepEqual(h.json, { status: 'ok' });
    const r = await gw.request('/readyz');
    expectStatus(r, 200, gw);
    assert.equal(r.json.status, 'ready');
  });

  it("with identity_assertion the upstream gets a JWT signed with the gateway's published key", async () => {
    const token = await idp.token({ sub: 'alice_123', roles: ['doctor'] });
    const res = await gw.request('/signed/calendar/echo', { token });
    expectStatus(res, 200, gw);
    assert.equal(res.json.url, '/calendar/echo', 'strip_prefix removed /signed');
    const assertion = res.json.headers['x-gateway-assertion'];
    assert.ok(assertion, JSON.stringify(res.json.headers));
    const jwks = await gw.request('/.well-known/jwks.json');
    expectStatus(jwks, 200, gw);
    assert.ok(Array.isArray(jwks.json.keys) && jwks.json.keys.length > 0, jwks.text);
    assert.ok(jwks.json.keys.every((k) => !('d' in k)), 'private key material published');
    const { payload, protectedHeader } = await jwtVerify(assertion, createLocalJWKSet(jwks.json));
    assert.equal(payload.sub, 'alice_123');
    assert.ok(payload.exp > Date.now() / 1000 && payload.exp <= Date.now() / 1000 + 120, JSON.stringify(payload));
    assert.ok(['EdDSA', 'ES256'].includes(protectedHeader.alg));
    // A client-sent assertion header never replaces the gateway's own.
    const forged = await rawRequest(gw.port, [
      'GET /signed/calendar/echo HTTP/1.1', `Host: 127.0.0.1:${gw.port}`, `Authorization: Bearer ${await idp.token({ sub: 'bob_456' })}`,
      `X-Gateway-Assertion: ${assertion}`,
    ].join('\r\n'));
    expectStatus(forged, 200, gw);
    const raw = forged.json.rawHeaders;
    const copies = raw.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === 'x-gateway-assertion' ? [raw[i + 1]] : []));
    assert.equal(copies.length, 1, JSON.stringify(raw));
    assert.notEqual(copies[0], assertion);
    const { payload: bobs } = await jwtVerify(copies[0], createLocalJWKSet(jwks.json));
    assert.equal(bobs.sub, 'bob_456');
  });

  it('writes one JSON access-log line per request on stdout', async () => {
    const token = await idp.token();
    const res = await gw.request('/calendar/events', { token, headers: { 'x-request-id': 'access-log-probe-1' } });
    expectStatus(res, 200, gw);
    const line = await eventually(() => gw.stdout().split('\n').find((l) => l.includes('access-log-probe-1')),
      { timeoutMs: 10000, what: 'access log line' });
    const entry = JSON.parse(line);
    assert.equal(typeof entry, 'object');
    assert.ok(JSON.stringify(entry).includes('200'), line);
    assert.ok(!line.includes(token), 'the token is logged');
  });

  it('the admin listener serves /healthz, /readyz and Prometheus /metrics', async () => {
    const h = await fetch(`${adminUrl}/healthz`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'ok' });
    const r = await fetch(`${adminUrl}/readyz`);
    assert.equal(r.status, 200);
    const m = await fetch(`${adminUrl}/metrics`);
    assert.equal(m.status, 200);
    const text = await m.text();
    assert.match(text, /^# (HELP|TYPE) /m, text.slice(0, 500));
    const main = await gw.request('/metrics', { token: await idp.token() });
    assert.notEqual(main.status, 200, 'metrics must not be public on the main listener');
  });
});
