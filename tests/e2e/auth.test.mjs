// Token verification at the gateway, seen from outside: every 401 cause with its code and
// WWW-Authenticate, accepted algorithms, key rotation at the IdP, the IdP going down, and no keys.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startIdp, startCalendar, startGateway, gatewayConfig, expectStatus, expectError, eventually, freePort,
  baseClaims, sign, foreignKey, algNone, hs256WithPublicKey, tamperSignature, tamperPayload,
} from './lib/index.mjs';

const REALM = 'realm="gatewaystack"';

function calendarConfig(idp, calendar, issuer = {}, extra = {}) {
  return gatewayConfig({
    idp, issuer,
    upstreams: { calendar: calendar.url },
    routes: [{ name: 'calendar', prefix: '/calendar', upstream: 'calendar', kind: 'generic' }],
    ...extra,
  });
}

function expectInvalidToken(res, code, gw) {
  expectError(res, 401, code, gw);
  const challenge = res.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer /, challenge);
  assert.ok(challenge.includes(REALM), challenge);
  assert.ok(challenge.includes('error="invalid_token"'), challenge);
  assert.match(challenge, /error_description="[^"]+"/, challenge);
}

describe('401 causes (issuer allows RS256 only)', () => {
  let idp; let calendar; let gw; let esKid; let edKid;

  before(async () => {
    idp = await startIdp();
    esKid = await idp.addKey('ES256');
    edKid = await idp.addKey('EdDSA');
    calendar = await startCalendar();
    gw = await startGateway(null, calendarConfig(idp, calendar));
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), calendar?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}`);
  });

  const call = (authorization) => gw.request('/calendar/events', { headers: authorization === undefined ? {} : { authorization } });

  it('a valid token is accepted (baseline)', async () => {
    expectStatus(await call(`Bearer ${await idp.token()}`), 200, gw);
  });

  it('missing token: 401 missing_token, challenge without error=', async () => {
    const res = await call(undefined);
    expectError(res, 401, 'missing_token', gw);
    const challenge = res.headers.get('www-authenticate');
    assert.equal(challenge, `Bearer ${REALM}`);
    assert.equal(calendar.server.requests.filter((r) => !r.headers['x-user-id']).length, 0, 'nothing unauthenticated was forwarded');
  });

  it('the Bearer scheme is case-insensitive', async () => {
    const token = await idp.token();
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expectStatus(await call(`${scheme} ${token}`), 200, gw);
    }
  });

  it('another scheme is not a bearer token', async () => {
    const res = await call('Basic YWxpY2U6c2VjcmV0');
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
  });

  it('malformed token: malformed_token', async () => {
    expectInvalidToken(await call('Bearer not-a-jwt'), 'malformed_token', gw);
    expectInvalidToken(await call('Bearer a.b.c'), 'malformed_token', gw);
  });

  it('expired token: token_expired (beyond the clock skew)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidToken(await call(`Bearer ${await idp.token({ iat: now - 7200, nbf: now - 7200, exp: now - 600 })}`), 'token_expired', gw);
  });

  it('a token expired by less than the clock skew is still accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectStatus(await call(`Bearer ${await idp.token({ iat: now - 600, nbf: now - 600, exp: now - 20 })}`), 200, gw);
  });

  it('token not yet valid: token_not_yet_valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    expectInvalidToken(await call(`Bearer ${await idp.token({ nbf: now + 3600, exp: now + 7200 })}`), 'token_not_yet_valid', gw);
  });

  it('wrong audience: wrong_audience', async () => {
    expectInvalidToken(await call(`Bearer ${await idp.token({ aud: 'api://someone-else' })}`), 'wrong_audience', gw);
  });

  it('wrong issuer: wrong_issuer', async () => {
    expectInvalidToken(await call(`Bearer ${await idp.token({ iss: 'http://127.0.0.1:1/evil' })}`), 'wrong_issuer', gw);
  });

  it('no subject: missing_subject', async () => {
    expectInvalidToken(await call(`Bearer ${await idp.token({ sub: undefined })}`), 'missing_subject', gw);
  });

  it('alg none: unsupported_algorithm', async () => {
    expectInvalidToken(await call(`Bearer ${algNone(baseClaims(idp), { kid: idp.kid })}`), 'unsupported_algorithm', gw);
  });

  it('HS256 keyed with the RSA public key: unsupported_algorithm', async () => {
    const pub = idp.publicJwks().keys.find((k) => k.kid === idp.kid);
    expectInvalidToken(await call(`Bearer ${await hs256WithPublicKey(pub, baseClaims(idp))}`), 'unsupported_algorithm', gw);
  });

  it('ES256 and EdDSA tokens signed by published keys: unsupported_algorithm when only RS256 is configured', async () => {
    expectInvalidToken(await call(`Bearer ${await idp.token({}, { kid: esKid })}`), 'unsupported_algorithm', gw);
    expectInvalidToken(await call(`Bearer ${await idp.token({}, { kid: edKid })}`), 'unsupported_algorithm', gw);
  });

  it('unknown kid: unknown_key', async () => {
    const { privateKey } = await foreignKey('RS256');
    expectInvalidToken(await call(`Bearer ${await sign(privateKey, 'RS256', baseClaims(idp), { kid: 'no-such-kid' })}`), 'unknown_key', gw);
  });

  it("a foreign key using the issuer's kid: bad_signature", async () => {
    const { privateKey } = await foreignKey('RS256');
    expectInvalidToken(await call(`Bearer ${await sign(privateKey, 'RS256', baseClaims(idp), { kid: idp.kid })}`), 'bad_signature', gw);
  });

  it('changed signature or changed payload: bad_signature', async () => {
    const token = await idp.token();
    expectInvalidToken(await call(`Bearer ${tamperSignature(token)}`), 'bad_signature', gw);
    expectInvalidToken(await call(`Bearer ${tamperPayload(token, { sub: 'bob_456' })}`), 'bad_signature', gw);
  });

  it('an unknown critical header: unsupported_critical_header', async () => {
    const token = await sign(idp.privateJwk(), 'RS256', baseClaims(idp), { kid: idp.kid, crit: ['x-gw-test'], 'x-gw-test': 1 });
    expectInvalidToken(await call(`Bearer ${token}`), 'unsupported_critical_header', gw);
  });

  it('no rejected request reached the upstream', () => {
    for (const r of calendar.server.requests) assert.ok(['alice_123'].includes(r.headers['x-user-id']), JSON.stringify(r.headers));
  });
});

describe('configured algorithms and OIDC discovery', () => {
  let idp; let calendar; let gw; let esKid; let edKid; let psKid;
  before(async () => {
    idp = await startIdp();
    esKid = await idp.addKey('ES256');
    edKid = await idp.addKey('EdDSA');
    psKid = await idp.addKey('PS256');
    calendar = await startCalendar();
    const cfg = calendarConfig(idp, calendar, { algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'] });
    delete cfg.identity.issuers[0].jwks_uri; // keys found through /.well-known/openid-configuration
    gw = await startGateway(null, cfg);
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), calendar?.close()]);
    if (r) assert.equal(r.code, 0);
  });

  it('finds the JWKS through discovery', async () => {
    assert.ok(idp.discoveryRequests >= 1, 'discovery document fetched');
    expectStatus(await gw.request('/calendar/events', { token: await idp.token() }), 200, gw);
  });

  it('accepts PS256, ES256 and EdDSA tokens when configured', async () => {
    for (const kid of [psKid, esKid, edKid]) {
      const res = await gw.request('/calendar/events', { token: await idp.token({ sub: 'alice_123' }, { kid }) });
      expectStatus(res, 200, gw);
      assert.equal(res.json.user, 'alice_123');
    }
  });
});

describe('JWKS lifecycle', () => {
  it('picks up a rotated key (new kid) without restart, and keeps cached keys while the IdP is down', async (t) => {
    const idp = await startIdp();
    const calendar = await startCalendar();
    t.after(() => Promise.all([idp.stop(), calendar.close()]));
    const gw = await startGateway(t, calendarConfig(idp, calendar));

    const first = await idp.token();
    expectStatus(await gw.request('/calendar/events', { token: first }), 200, gw);

    const oldKid = idp.kid;
    const newKid = await idp.rotate();
    assert.notEqual(newKid, oldKid);
    const rotated = await idp.token({ sub: 'bob_456' });
    // The gateway refetches on an unknown kid (at most once per min_refetch_interval = 1s).
    await eventually(async () => (await gw.request('/calendar/events', { token: rotated })).status === 200,
      { timeoutMs: 30000, intervalMs: 500, what: 'rotated key accepted' });

    await idp.stop();
    for (const token of [first, rotated, await idp.token({ sub: 'carol_789' })]) {
      expectStatus(await gw.request('/calendar/events', { token }), 200, gw);
    }
    await idp.start();
    const r = await gw.stop();
    assert.equal(r.code, 0, JSON.stringify(r));
  });

  it('with no keys ever fetched (IdP down at start): not ready and 503 jwks_unavailable; ready once the IdP is back', async (t) => {
    const idp = await startIdp();
    const calendar = await startCalendar();
    t.after(() => Promise.all([idp.stop(), calendar.close()]));
    const token = await idp.token();
    await idp.stop();
    const gw = await startGateway(t, calendarConfig(idp, calendar), { wait: 'healthy' });

    const ready = await gw.request('/readyz');
    assert.equal(ready.status, 503, ready.text);
    assert.equal(ready.json?.status, 'not_ready', ready.text);
    const res = await gw.request('/calendar/events', { token });
    expectError(res, 503, 'jwks_unavailable', gw);
    assert.equal(calendar.server.requests.length, 0);

    await idp.start();
    await eventually(async () => (await gw.request('/calendar/events', { token })).status === 200,
      { timeoutMs: 60000, intervalMs: 500, what: 'keys fetched after the IdP came back' });
    expectStatus(await gw.request('/readyz'), 200, gw);
    const r = await gw.stop();
    assert.equal(r.code, 0, JSON.stringify(r));
  });

  it('with the IdP down: /readyz names the issuer, /metrics counts failed fetches, the log has one line per attempt, not per request', async (t) => {
    const idp = await startIdp();
    const calendar = await startCalendar();
    t.after(() => Promise.all([idp.stop(), calendar.close()]));
    const token = await idp.token();
    await idp.stop();
    let gw; let adminUrl;
    // The admin port is chosen before the gateway binds it: another process may take it first.
    for (let attempt = 1; ; attempt++) {
      const adminPort = await freePort();
      adminUrl = `http://127.0.0.1:${adminPort}`;
      try {
        gw = await startGateway(t, calendarConfig(idp, calendar, {}, {
          discovery: true, extra: { admin: { listen: `127.0.0.1:${adminPort}` } },
        }), { wait: 'healthy' });
        break;
      } catch (e) {
        if (attempt >= 3 || !/Address already in use/.test(e.message)) throw e;
      }
    }

    const ready = await fetch(`${adminUrl}/readyz`);
    assert.equal(ready.status, 503);
    const body = await ready.json();
    assert.equal(body.status, 'not_ready', JSON.stringify(body));
    assert.deepEqual(body.issuers_without_keys, [idp.issuer], JSON.stringify(body));

    const requests = 40;
    for (let i = 0; i < requests; i++) {
      expectError(await gw.request('/calendar/events', { token }), 503, 'jwks_unavailable', gw);
    }
    const escaped = idp.issuer.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const failures = async () => {
      const text = await (await fetch(`${adminUrl}/metrics`)).text();
      const m = text.match(new RegExp(`^gw_identity_key_fetch_failures_total\\{[^}]*issuer="${escaped}"[^}]*stage="discovery"[^}]*\\} (\\d+)$`, 'm'))
        ?? text.match(new RegExp(`^gw_identity_key_fetch_failures_total\\{[^}]*stage="discovery"[^}]*issuer="${escaped}"[^}]*\\} (\\d+)$`, 'm'));
      assert.ok(m, `no discovery failure counter for ${idp.issuer}:\n${text}`);
      return Number(m[1]);
    };
    const lines = () => gw.log().split('\n')
      .filter((l) => l.includes(`discovery fetch for issuer ${idp.issuer} failed`)).length;
    const counted = await failures();
    assert.ok(counted >= 1, `counter ${counted}`);
    // Every attempt is logged (the log is written asynchronously)...
    await eventually(() => lines() >= counted, { timeoutMs: 10000, what: `${counted} failure lines` });
    // ...and only attempts: each line has its counted attempt, far fewer than the requests.
    assert.ok(lines() <= await failures(), `${lines()} lines for ${await failures()} attempts`);
    assert.ok(lines() < requests, `${lines()} lines for ${requests} requests:\n${gw.tail()}`);
    const line = gw.log().split('\n').find((l) => l.includes(`discovery fetch for issuer ${idp.issuer} failed`));
    assert.match(line, /\.well-known\/openid-configuration/, line);
    assert.match(line, /next retry at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/, line);

    await idp.start();
    await eventually(async () => (await fetch(`${adminUrl}/readyz`)).status === 200,
      { timeoutMs: 60000, intervalMs: 500, what: 'ready once the IdP is back' });
    const r = await gw.stop();
    assert.equal(r.code, 0, JSON.stringify(r));
  });
});
