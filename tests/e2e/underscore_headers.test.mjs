// Header names spelled with '_' (X_User_Id) and bodies the gateway edits, end to end: a raw
// socket client, the real gateway, and a recording upstream that keeps every header name as
// sent and every body byte as received.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startIdp, startUpstream, startGateway, gatewayConfig, rawRequest, expectStatus, expectError,
} from './lib/index.mjs';

// Every header the gateway strips or sets that has a '-' to spell as '_' (names without one,
// such as Host or TE, are covered by identity_injection.test.mjs), with the upstream's
// credential and assertion headers.
const PROTECTED = [
  'Proxy-Authorization', 'Content-Length', 'X-Request-Id', 'X-Forwarded-For', 'X-Forwarded-Proto',
  'X-Forwarded-Host', 'Keep-Alive', 'Proxy-Connection', 'Transfer-Encoding', 'Proxy-Authenticate',
  'X-User-Id', 'X-User-Email', 'X-User-Role', 'X-User-Scopes', 'X-Tenant-Id', 'X-Team-Id',
  'X-User-Anything', 'X-Gateway-Assertion', 'X-Api-Key', 'X-Backend-Assertion',
];

// Spellings with at least one '_': all of them, each one alone, each in three cases.
function underscoreSpellings(name) {
  const dashes = [...name].flatMap((c, i) => (c === '-' ? [i] : []));
  const bases = [name.replaceAll('-', '_'), ...dashes.map((i) => name.slice(0, i) + '_' + name.slice(i + 1))];
  const mixed = (s) => [...s].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');
  return [...new Set(bases.flatMap((b) => [b, b.toLowerCase(), b.toUpperCase(), mixed(b)]))];
}

const folded = (name) => name.toLowerCase().replaceAll('_', '-');
const PROTECTED_FOLDED = new Set(PROTECTED.map(folded));

// A recording upstream answering like an OpenAI chat endpoint; `requests` keeps raw headers
// and the raw body bytes.
async function startRecorder() {
  const recorder = await startUpstream((req, res) => {
    const record = recorder.server.requests.at(-1);  // pushed just before this handler runs
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      record.rawBody = Buffer.concat(chunks).toString('utf8');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
    });
  });
  return recorder;
}

function gatewayFor(idp, recorder, underscores) {
  return startGateway(null, gatewayConfig({
    idp,
    server: { limits: { max_header_bytes: '64KiB' }, ...(underscores ? { headers: { underscores } } : {}) },
    upstreams: {
      echo: { url: recorder.url, credential: { header: 'X-Api-Key', value: 'sk-provider' },
        identity_assertion: { header: 'X-Backend-Assertion', ttl: '60s' } },
      openai: recorder.url,
    },
    routes: [
      { name: 'echo', prefix: '/echo', upstream: 'echo', kind: 'generic' },
      { name: 'openai', prefix: '/v1', upstream: 'openai', kind: 'openai' },
    ],
  }));
}

// POSTs `body` (a string, sent as is) to the OpenAI route over a raw socket.
function postChat(gw, token, body, extraHeaders = []) {
  return rawRequest(gw.port, [
    'POST /v1/chat/completions HTTP/1.1',
    `Host: 127.0.0.1:${gw.port}`,
    `Authorization: Bearer ${token}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...extraHeaders,
  ].join('\r\n'), { body });
}

// The [name, value] pairs of a recorded request, names as sent.
const pairs = (request) => request.rawHeaders.flatMap((v, i) => (i % 2 ? [] : [[v, request.rawHeaders[i + 1]]]));

describe('header names with underscores (default: pass)', () => {
  let idp; let recorder; let gw;
  before(async () => {
    idp = await startIdp();
    recorder = await startRecorder();
    gw = await gatewayFor(idp, recorder);
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), recorder?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}\n${gw.tail()}`);
  });

  it('no protected header in any underscore spelling or number of copies reaches the upstream', async () => {
    const token = await idp.token({ sub: 'alice_123', roles: ['doctor'], tenant: 'acme' });
    const spoofed = PROTECTED.flatMap(underscoreSpellings).flatMap((n, i) => [`${n}: spoof-${i}`, `${n}: spoof-${i}b`]);
    assert.ok(spoofed.length > 300);
    const before = recorder.server.requests.length;
    const res = await rawRequest(gw.port, [
      'GET /echo/x HTTP/1.1',
      `Host: 127.0.0.1:${gw.port}`,
      `Authorization: Bearer ${token}`,
      'Connection: x-listed-hop',
      'X_Listed_Hop: spoof-listed',
      ...spoofed,
      'X_Custom_Trace: kept',
    ].join('\r\n'));
    expectStatus(res, 200, gw);
    assert.equal(recorder.server.requests.length, before + 1);
    const seen = pairs(recorder.server.requests.at(-1));
    const text = JSON.stringify(seen);
    assert.ok(!text.includes('spoof'), text);
    // Each protected name arrives at most once, as the gateway wrote it.
    for (const name of PROTECTED_FOLDED) {
      const copies = seen.filter(([n]) => folded(n) === name);
      assert.ok(copies.length <= 1, `${name}: ${JSON.stringify(copies)}`);
      for (const [n] of copies) assert.ok(!n.includes('_'), n);
    }
    assert.deepEqual(seen.filter(([n]) => folded(n) === 'x-user-id'), [['X-User-Id', 'alice_123']]);
    assert.deepEqual(seen.filter(([n]) => folded(n) === 'x-api-key'), [['X-Api-Key', 'sk-provider']]);
    assert.equal(seen.filter(([n]) => folded(n) === 'x-backend-assertion').length, 1);
    // Other underscore names pass by default.
    assert.deepEqual(seen.filter(([n]) => folded(n) === 'x-custom-trace'), [['X_Custom_Trace', 'kept']]);
  });

  it('the OpenAI body reaches the upstream byte for byte but for the user member', async () => {
    const token = await idp.token({ sub: 'alice_123' });
    const head = '{\n  "model" : "gpt-4o", "temperature":0.2,"top_p": 1.0E+2, "n":-0.0,\n  "seed": 12345678901234567890,\t"user" : ';
    const tail = ' ,"messages":[{"role":"user","content":"caf\\u00e9 \\ud83d\\ude00 \\"q\\"","user":"inner"}],'
      + '"metadata":{"user":"nested"}, "us\\u0065rs": 1\n}';
    const body = `${head}{"id": ["mallory"]}${tail}`;
    const res = await postChat(gw, token, body, ['X_User_Id: mallory']);
    expectStatus(res, 200, gw);
    const seen = recorder.server.requests.at(-1);
    assert.equal(seen.rawBody, `${head}"alice_123"${tail}`);
    assert.deepEqual(pairs(seen).filter(([n]) => folded(n) === 'x-user-id'), [['X-User-Id', 'alice_123']]);

    const absent = '{"model":"gpt-4o","temperature":0.2,"messages":[] }';
    const res2 = await postChat(gw, token, absent);
    expectStatus(res2, 200, gw);
    assert.equal(recorder.server.requests.at(-1).rawBody,
      '{"model":"gpt-4o","temperature":0.2,"messages":[],"user":"alice_123" }');
  });

  it('a body with two user members is refused and never forwarded', async () => {
    const token = await idp.token({ sub: 'alice_123' });
    const body = '{"model":"gpt-4o","user":"mallory","messages":[],"us\\u0065r":"x"}';
    const before = recorder.server.requests.length;
    const res = await postChat(gw, token, body);
    expectError(res, 400, 'invalid_json', gw);
    assert.equal(recorder.server.requests.length, before);
  });
});

for (const mode of ['drop', 'reject']) {
  describe(`header names with underscores (${mode})`, () => {
    let idp; let recorder; let gw;
    before(async () => {
      idp = await startIdp();
      recorder = await startRecorder();
        gw = await gatewayFor(idp, recorder, mode);
    });
    after(async () => {
      const r = await gw?.stop();
      await Promise.all([idp?.stop(), recorder?.close()]);
      if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}\n${gw.tail()}`);
    });

    it(`${mode === 'drop' ? 'drops' : 'refuses'} other underscore names; names without one pass`, async () => {
      const token = await idp.token({ sub: 'alice_123' });
      const request = (extra) => rawRequest(gw.port, [
        'GET /echo/x HTTP/1.1',
        `Host: 127.0.0.1:${gw.port}`,
        `Authorization: Bearer ${token}`,
        'X-Custom-Trace: plain',
        ...extra,
      ].join('\r\n'));
      const before = recorder.server.requests.length;
      const res = await request(['X_Custom_Trace: underscored', 'X_User_Id: mallory']);
      if (mode === 'reject') {
        expectError(res, 400, 'invalid_header', gw);
        assert.match(JSON.parse(res.body).error.message, /X_Custom_Trace/);
        assert.equal(recorder.server.requests.length, before);
      } else {
        expectStatus(res, 200, gw);
        const seen = pairs(recorder.server.requests.at(-1));
        assert.deepEqual(seen.filter(([n]) => folded(n) === 'x-custom-trace'), [['X-Custom-Trace', 'plain']]);
        assert.deepEqual(seen.filter(([n]) => folded(n) === 'x-user-id'), [['X-User-Id', 'alice_123']]);
      }
      const clean = await request([]);
      expectStatus(clean, 200, gw);
      assert.deepEqual(pairs(recorder.server.requests.at(-1)).filter(([n]) => folded(n) === 'x-custom-trace'),
        [['X-Custom-Trace', 'plain']]);
    });
  });
}
