// Requests the gateway must refuse or answer itself: no open proxy, no path escapes, size limits,
// upstream failures, redirects passed back instead of followed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startIdp, startCalendar, startUpstream, startBlackhole, startGateway, gatewayConfig, freePort,
  rawRequest, expectStatus, expectError,
} from './lib/index.mjs';

describe('routing, limits and upstream failures', () => {
  let idp; let calendar; let evil; let redirector; let blackhole; let recorder; let bulk; let gw; let token;

  before(async () => {
    idp = await startIdp();
    calendar = await startCalendar();
    evil = await startUpstream((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('evil upstream reached'); });
    blackhole = await startBlackhole();
    bulk = await startUpstream((req, res) => {
      if (req.url === '/bulk/cut') {  // promises 100000 bytes, sends 1000, then hangs up
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100000 });
        res.write(Buffer.alloc(1000, 'c'), () => req.socket.destroy());
        return;
      }
      if (req.url === '/bulk/cut-chunked') {  // one chunk, then hangs up before the last
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(Buffer.alloc(1000, 'c'), () => req.socket.destroy());
        return;
      }
      const big = Buffer.alloc(3 * 1024 * 1024, 'abcdefghij');
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': big.length });
      res.end(req.method === 'HEAD' ? undefined : big);
    });
    recorder = await startUpstream((req, res) => {
      const parts = [];
      req.on('data', (d) => parts.push(d));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ body: Buffer.concat(parts).toString('latin1') }));
      });
    });
    const downPort = await freePort();
    redirector = await startUpstream((req, res) => {
      res.writeHead(302, { location: `${evil.url}/stolen`, 'content-type': 'text/plain' });
      res.end('moved');
    });
    gw = await startGateway(null, gatewayConfig({
      idp,
      server: { limits: { max_header_bytes: '8KiB', max_body_bytes: '64KiB', max_target_bytes: '4KiB' } },
      upstreams: {
        calendar: calendar.url,
        down: { url: `http://127.0.0.1:${downPort}`, connect_timeout: '2s', response_timeout: '5s' },
        hang: { url: blackhole.url, connect_timeout: '2s', response_timeout: '2s' },
        redirector: redirector.url,
        recorder: recorder.url,
        bulk: { url: bulk.url, response_timeout: '10s' },
      },
      routes: [
        { name: 'calendar', prefix: '/calendar', methods: ['GET'], upstream: 'calendar' },
        { name: 'upload', prefix: '/upload', upstream: 'calendar' },
        { name: 'down', prefix: '/down', upstream: 'down' },
        { name: 'hang', prefix: '/hang', upstream: 'hang' },
        { name: 'redirect', prefix: '/redirect', upstream: 'redirector' },
        { name: 'framing', prefix: '/framing', upstream: 'recorder' },
        { name: 'bulk', prefix: '/bulk', upstream: 'bulk' },
      ],
    }));
    token = await idp.token();
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), calendar?.close(), evil?.close(), blackhole?.close(), redirector?.close(), recorder?.close(), bulk?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}\n${gw.tail()}`);
  });

  const raw = (target, extraHeaders = [], opts = {}) => rawRequest(gw.port, [
    `${opts.method ?? 'GET'} ${target} HTTP/1.1`,
    ...(opts.noHost ? [] : [`Host: ${opts.host ?? `127.0.0.1:${gw.port}`}`]),
    `Authorization: Bearer ${token}`,
    ...extraHeaders,
  ].join('\r\n'), opts);

  it('an unknown route is 404 no_route and is never forwarded', async () => {
    const before = calendar.server.requests.length;
    for (const p of ['/admin', '/calendarx', '/', '/v1/chat/completions']) {
      expectError(await gw.request(p, { token }), 404, 'no_route', gw);
    }
    assert.equal(calendar.server.requests.length, before);
    assert.equal(evil.server.requests.length, 0);
  });

  it('a method outside the route is 405 method_not_allowed', async () => {
    expectError(await gw.request('/calendar/events', { token, method: 'POST', body: { a: 1 } }), 405, 'method_not_allowed', gw);
  });

  it('dot-segment escapes and encoded slashes are 400 invalid_path and never forwarded', async () => {
    const before = calendar.server.requests.length;
    for (const target of ['/calendar/../admin', '/calendar/%2e%2e/admin', '/calendar/%2E%2E/admin', '/calendar/.%2e/admin',
      '/calendar/a%2fb', '/calendar/a%2Fb', '/calendar/..%2fadmin', '/calendar/%2e%2e%2fadmin']) {
      const res = await raw(target);
      expectError(res, 400, 'invalid_path', gw);
    }
    assert.equal(calendar.server.requests.length, before);
  });

  it('the Host header never chooses the upstream', async () => {
    const res = await raw('/calendar/events', [], { host: `127.0.0.1:${evil.port}` });
    expectStatus(res, 200, gw);
    assert.equal(res.json.user, 'alice_123');
    assert.equal(evil.server.requests.length, 0);
  });

  it('an absolute-form request target never chooses the upstream', async () => {
    const routed = await raw(`http://127.0.0.1:${evil.port}/calendar/events`, [], { host: `127.0.0.1:${evil.port}` });
    assert.ok([200, 400, 404].includes(routed.status), `status ${routed.status}: ${routed.body}`);
    if (routed.status === 200) assert.equal(routed.json.user, 'alice_123');
    const unrouted = await raw(`http://127.0.0.1:${evil.port}/stolen`, [], { host: `127.0.0.1:${evil.port}` });
    assert.ok([400, 404].includes(unrouted.status), `status ${unrouted.status}: ${unrouted.body}`);
    assert.equal(evil.server.requests.length, 0);
  });

  it('oversized headers are 431 header_too_large', async () => {
    const res = await raw('/calendar/events', [`X-Big: ${'a'.repeat(12 * 1024)}`]);
    expectError(res, 431, 'header_too_large', gw);
  });

  it('an oversized request target is 414 uri_too_long', async () => {
    const res = await raw(`/calendar/events?q=${'a'.repeat(6 * 1024)}`);
    expectError(res, 414, 'uri_too_long', gw);
  });

  it('an oversized body is 413 body_too_large; a body within the limit is forwarded', async () => {
    const big = Buffer.alloc(200 * 1024, 'x');
    const res = await raw('/upload/file', ['Content-Type: application/octet-stream', `Content-Length: ${big.length}`],
      { method: 'POST', body: big, bodyAfterResponseWindowMs: 1000 });
    expectError(res, 413, 'body_too_large', gw);
    const small = await gw.request('/upload/echo', { token, method: 'POST', body: 'x'.repeat(1000), headers: { 'content-type': 'text/plain' } });
    expectStatus(small, 200, gw);
    assert.equal(small.json.method, 'POST');
  });

  it('ambiguous body framing and malformed heads are 400 bad_request and never forwarded', async () => {
    const bad = [
      // Both framings: the request-smuggling shape, in either order.
      [['Content-Length: 5', 'Transfer-Encoding: chunked'], '0\r\n\r\n'],
      [['Transfer-Encoding: chunked', 'Content-Length: 5'], '0\r\n\r\n'],
      [['Transfer-Encoding: gzip, chunked'], '0\r\n\r\n'],
      [['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], '0\r\n\r\n'],
      [['Content-Length: 5', 'Content-Length: 6'], 'hello'],
      [['Content-Length: 5', 'X-Folded: a', ' b'], 'hello'],
      [['Content-Length: 5', 'X-Bad : a'], 'hello'],
    ];
    for (const [headers, body] of bad) {
      const res = await raw('/framing/upload', headers, { method: 'POST', body });
      expectError(res, 400, 'bad_request', gw);
      assert.match(res.json.error.message, /^malformed HTTP request: /, headers.join(' | '));
    }
    assert.equal(recorder.server.requests.length, 0);
  });

  it('a chunked request body is forwarded whole', async () => {
    const res = await raw('/framing/upload', ['Transfer-Encoding: chunked'],
      { method: 'POST', body: '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n' });
    expectStatus(res, 200, gw);
    assert.equal(res.json.body, 'hello world');
    assert.equal(recorder.server.requests.length, 1);
  });

  it('a sized response body is relayed whole; HEAD gets the length and no body', async () => {
    const expected = Buffer.alloc(3 * 1024 * 1024, 'abcdefghij').toString('latin1');
    for (let i = 0; i < 2; i++) {  // the second one on the pooled upstream connection
      const res = await gw.request('/bulk/big', { token });
      expectStatus(res, 200, gw);
      assert.equal(res.headers.get('content-length'), String(expected.length));
      assert.ok(res.text === expected, `body of ${res.text.length} bytes differs`);
    }
    const head = await gw.request('/bulk/big', { token, method: 'HEAD' });
    expectStatus(head, 200, gw);
    assert.equal(head.headers.get('content-length'), String(expected.length));
    assert.equal(head.text, '');
    assert.equal((await gw.request('/bulk/big', { token })).text.length, expected.length);
  });

  it('an upstream that hangs up mid-body cuts the client connection; the next request works', async () => {
    const res = await raw('/bulk/cut');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], '100000');
    assert.ok(res.body.length < 100000, `got ${res.body.length} bytes`);
    const chunked = await raw('/bulk/cut-chunked');
    assert.equal(chunked.status, 200);
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
    const next = await gw.request('/bulk/big', { token });
    expectStatus(next, 200, gw);
    assert.equal(next.text.length, 3 * 1024 * 1024);
  });

  it('an upstream that refuses connections is 502 upstream_unavailable (JSON)', async () => {
    const res = await gw.request('/down/anything', { token });
    expectError(res, 502, 'upstream_unavailable', gw);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  });

  it('an upstream that never answers is 504 upstream_timeout', async () => {
    const res = await gw.request('/hang/anything', { token });
    expectError(res, 504, 'upstream_timeout', gw);
  });

  it('an upstream redirect is returned to the client, not followed', async () => {
    const res = await gw.request('/redirect/somewhere', { token });
    assert.equal(res.status, 302, res.text);
    assert.equal(res.headers.get('location'), `${evil.url}/stolen`);
    assert.equal(evil.server.requests.length, 0);
    assert.equal(redirector.server.requests.length, 1);
  });
});

// A backend at its most lenient (Tomcat, Spring, Jetty, nginx, one that decodes twice): the paths
// it could read a request line as. Decodes %XX once or twice and overlong UTF-8 to ASCII, reads
// '\' as '/', strips ;parameters per segment (before or after decoding), resolves dot segments.
// null when a reading climbs above the root.
function lenientDecode(s) {
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    const hex = /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3));
    if (s[i] === '%' && hex) { bytes.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push(s.charCodeAt(i) & 0xff);
  }
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if ((c === 0xc0 || c === 0xc1) && i + 1 < bytes.length) { out += String.fromCharCode(((c & 0x1f) << 6) | (bytes[i + 1] & 0x3f)); i += 1; }
    else if (c === 0xe0 && i + 2 < bytes.length && (bytes[i + 1] & 0xe0) === 0x80) { out += String.fromCharCode(((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f)); i += 2; }
    else out += String.fromCharCode(c);
  }
  return out;
}
const lenientSegments = (path) => path.replaceAll('\\', '/').split('/').slice(1);
const stripParams = (segment) => segment.split(';')[0];
function resolveDots(segments) {
  const stack = [];
  for (const seg of segments) {
    if (seg === '.') continue;
    if (seg === '..') { if (!stack.length) return null; stack.pop(); continue; }
    stack.push(seg);
  }
  return `/${stack.join('/')}`;
}
function lenientReadings(path) {
  const once = lenientDecode(path);
  const readings = [once, lenientDecode(once)].map((d) => resolveDots(lenientSegments(d).map(stripParams)));
  readings.push(resolveDots(lenientSegments(path).flatMap((raw) => lenientSegments(`/${lenientDecode(lenientDecode(stripParams(raw)))}`))));
  return readings;
}

describe('path spellings that backends read differently', () => {
  let idp; let backend; let gw; let token;

  before(async () => {
    idp = await startIdp();
    backend = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url }));
    });
    gw = await startGateway(null, gatewayConfig({
      idp,
      upstreams: { backend: backend.url },
      routes: [
        { name: 'api', prefix: '/api', upstream: 'backend' },
        { name: 'legacy', prefix: '/legacy', upstream: 'backend', path_strict: false },
      ],
    }));
    token = await idp.token();
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), backend?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}\n${gw.tail()}`);
  });

  const send = (target) => rawRequest(gw.port, [
    `GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${gw.port}`, `Authorization: Bearer ${token}`,
  ].join('\r\n'));

  it('the lenient reading used below finds the escapes it is meant to find', () => {
    for (const escape of ['/api/..;/admin', '/api/..%3B/admin', '/api/%252e%252e/admin', '/api/..%5Cadmin',
      '/api/%C0%AE%C0%AE/admin', '/api/..%2Fadmin', '/api/..\\admin']) {
      assert.ok(lenientReadings(escape).includes('/admin'), escape);
    }
  });

  // Sent verbatim over a socket; each is refused (400 invalid_path, never forwarded) or forwarded
  // as stated, and no lenient reading of what the backend receives leaves /api.
  const cases = [
    ['/api/..;/admin', 'refused'],
    ['/api/..;x=1/admin', 'refused'],
    ['/api/.;/x', 'refused'],
    ['/api/%2e%2e;/admin', 'refused'],
    ['/api/.%2e;jsessionid=1/admin', 'refused'],
    ['/api/..%3B/admin', 'refused'],
    ['/api/..%3b/admin', 'refused'],
    ['/api;x/../../admin', 'refused'],
    ['/api;jsessionid=1/x', 'refused'],
    ['/api/a%2fb', 'refused'],
    ['/api/..%2fadmin', 'refused'],
    ['/api/a%5cb', 'refused'],
    ['/api/..\\admin', 'refused'],
    ['/api/%252e%252e/admin', 'refused'],
    ['/api/%252f', 'refused'],
    ['/api/%255c', 'refused'],
    ['/api/%25%32%65%25%32%65/admin', 'refused'],
    ['/api/%c0%ae%c0%ae/admin', 'refused'],
    ['/api/%c0%af', 'refused'],
    ['/api/%e0%80%ae%e0%80%ae/admin', 'refused'],
    ['/api/../admin', 'refused'],
    ['/api/%2e%2e/admin', 'refused'],
    ['/api/%41%62c', '/api/Abc'],
    ['/api/a/%2e%2e/b', '/api/b'],
    ['/api/a%3bb/c%3Bd', '/api/a%3Bb/c%3Bd'],
    ['/api/a%3bb/..%3Bc', 'refused'],
    ['/api/a%3Fb%23c%2C', '/api/a%3Fb%23c%2C'],
    ['/api/50%25off', '/api/50%25off'],
    ['/api/a;v=1/b', '/api/a;v=1/b'],
    ['/api/caf%c3%a9?q=1', '/api/caf%C3%A9?q=1'],
    ['/legacy/..;/admin', '/legacy/..;/admin'],
    ['/legacy/a%2fb', '/legacy/a%2Fb'],
    ['/legacy/a\\b', '/legacy/a%5Cb'],
  ];
  for (const [target, expected] of cases) {
    it(`${target}: ${expected === 'refused' ? '400 invalid_path' : `forwarded as ${expected}`}`, async () => {
      const before = backend.server.requests.length;
      const res = await send(target);
      if (expected === 'refused') {
        expectError(res, 400, 'invalid_path', gw);
        assert.equal(backend.server.requests.length, before, 'a refused path reached the backend');
        return;
      }
      expectStatus(res, 200, gw);
      assert.equal(res.json.url, expected);
    });
  }

  it('no lenient reading of a path the backend received for /api leaves /api', () => {
    const forApi = backend.server.requests.filter(({ url }) => !url.startsWith('/legacy'));
    assert.equal(forApi.length, cases.filter(([t, e]) => e !== 'refused' && t.startsWith('/api')).length);
    for (const { url } of forApi) {
      for (const reading of lenientReadings(url.split('?')[0])) {
        assert.ok(reading === '/api' || reading?.startsWith('/api/'), `${url} read as ${reading}`);
      }
    }
  });
});
