// Every answer ends with its usage known, also when it breaks off: a client that abandons a
// stream after the third event, an upstream that resets mid-stream, and a gzip-compressed
// answer are each recorded in the audit log with the tokens that passed (never zero), and a
// compressed stream is decoded without losing its streaming.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  startIdp, startUpstream, startGateway, gatewayConfig, tempDir, runCli, eventually, expectStatus,
  rawRequest,
} from './lib/index.mjs';

const delta = (text) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
const usageEvent = (p, c) => `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: p, completion_tokens: c } })}\n\n`;

// The upstream's behaviour per request, chosen by the prompt's text.
function handler(state) {
  return async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const mode = JSON.parse(Buffer.concat(chunks).toString('utf8')).messages[0].content;
    if (mode === 'gzip-json') {
      const body = zlib.gzipSync(JSON.stringify({
        choices: [{ message: { role: 'assistant', content: 'hello' } }],
        usage: { prompt_tokens: 11, completion_tokens: 5 },
      }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
      return;
    }
    if (mode === 'gzip-sse') {
      // One gzip stream flushed per event; the second waits until the test saw the first.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      const gz = zlib.createGzip();
      gz.pipe(res);
      gz.write(delta('first'));
      gz.flush();
      await state.firstSeen;
      state.secondSentAfterFirstSeen = true;
      gz.write(delta('second'));
      gz.write(usageEvent(4, 2));
      gz.end('data: [DONE]\n\n');
      return;
    }
    // 'abandon' and 'reset': ten deltas, 30 ms apart, never a usage event before the end.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < 10; i++) {
      if (res.destroyed) return;
      res.write(delta(`w${i} `));
      if (mode === 'reset' && i === 2) {
        await new Promise((r) => setTimeout(r, 50));
        res.socket.destroy();  // the upstream dies mid-stream
        return;
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    res.end(`${usageEvent(7, 10)}data: [DONE]\n\n`);
  };
}

describe('the response end carries the usage on every path', () => {
  let idp; let upstream; let gw; let token; let db; const state = {};
  before(async () => {
    idp = await startIdp();
    upstream = await startUpstream(handler(state));
    db = path.join(tempDir('gw-end-'), 'audit.sqlite');
    gw = await startGateway(null, gatewayConfig({
      idp,
      upstreams: { openai: upstream.url },
      routes: [{ name: 'openai', prefix: '/v1', upstream: 'openai', kind: 'openai' }],
      extra: { audit: { instance_id: 'gw-end', sqlite: { path: db, flush_interval: '10ms' } } },
    }));
    token = await idp.token();
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), upstream?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}\n${gw.tail()}`);
  });

  const post = (content, { stream = true, signal } = {}) => fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', stream, messages: [{ role: 'user', content }] }),
    signal: signal ?? AbortSignal.timeout(30000),
  });

  // The audit record of one request, once the writer has it.
  async function record(requestId) {
    let found;
    await eventually(async () => {
      const { code, stdout } = await runCli(['audit', 'query', '--sqlite', db, '--limit', '1000', '--format', 'json']);
      if (code !== 0) return false;
      found = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.request_id === requestId);
      return found !== undefined;
    }, { what: `the audit record of ${requestId}` });
    return found;
  }

  it('a stream the client abandons after the third event is charged for what passed', async () => {
    const controller = new AbortController();
    const res = await post('abandon', { signal: controller.signal });
    expectStatus(res, 200, gw);
    const id = res.headers.get('x-request-id');
    const reader = res.body.getReader();
    let text = '';
    while ((text.match(/\n\n/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended before three events');
      text += Buffer.from(value).toString('utf8');
    }
    controller.abort();
    const r = await record(id);
    assert.equal(r.reason, 'client_closed', JSON.stringify(r));
    assert.ok(r.output_tokens >= 3, `output tokens ${r.output_tokens}`);
    assert.ok(r.output_tokens < 10, `charged ${r.output_tokens}, more than passed`);
    assert.ok(r.input_tokens > 0, `input tokens ${r.input_tokens}`);
  });

  it('a stream the upstream resets mid-way is charged for what passed', async () => {
    const res = await post('reset');
    expectStatus(res, 200, gw);
    const id = res.headers.get('x-request-id');
    await res.text().catch(() => {});  // the body breaks off
    const r = await record(id);
    assert.equal(r.reason, 'upstream_unavailable', JSON.stringify(r));
    assert.equal(r.output_tokens, 3, JSON.stringify(r));
  });

  it('a gzip-compressed JSON answer is decoded: the client gets JSON, the record its usage', async () => {
    const res = await post('gzip-json', { stream: false });
    expectStatus(res, 200, gw);
    assert.equal(res.headers.get('content-encoding'), null);
    const body = await res.json();
    assert.equal(body.choices[0].message.content, 'hello');
    const r = await record(res.headers.get('x-request-id'));
    assert.equal(r.input_tokens, 11);
    assert.equal(r.output_tokens, 5);
  });

  // A decoded answer changes size: the gateway frames it itself, chunked for HTTP/1.1 and to
  // the end of the connection for HTTP/1.0, never with the upstream's Content-Length.
  for (const version of ['1.1', '1.0']) {
    it(`an HTTP/${version} client gets the decoded answer in the framing its version allows`, async () => {
      const body = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'gzip-json' }] });
      const res = await rawRequest(new URL(gw.url).port, [
        `POST /v1/chat/completions HTTP/${version}`, 'Host: gateway', `Authorization: Bearer ${token}`,
        'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`,
      ].join('\r\n'), { body });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.headers['content-length'], undefined);
      assert.equal(res.headers['content-encoding'], undefined);
      assert.equal(res.headers['transfer-encoding'], version === '1.1' ? 'chunked' : undefined);
      assert.equal(res.json?.choices?.[0]?.message?.content, 'hello', res.body);
    });
  }

  it('a gzip-compressed stream is decoded and still streams event by event', async () => {
    let seen;
    state.firstSeen = new Promise((resolve) => { seen = resolve; });
    state.secondSentAfterFirstSeen = false;
    const res = await post('gzip-sse');
    expectStatus(res, 200, gw);
    assert.equal(res.headers.get('content-encoding'), null);
    const reader = res.body.getReader();
    let text = '';
    while (!text.includes('\n\n')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended before its first event');
      text += Buffer.from(value).toString('utf8');
    }
    // The upstream holds its second event until now: the first arrived on its own.
    assert.equal(state.secondSentAfterFirstSeen, false);
    assert.match(text, /"first"/);
    seen();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    assert.match(text, /"second"/);
    assert.match(text, /data: \[DONE\]/);
    const r = await record(res.headers.get('x-request-id'));
    assert.equal(r.output_tokens, 2);
  });
});
