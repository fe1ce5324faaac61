// OpenAI-compatible traffic through the gateway: SSE passes through unbuffered, the official
// `openai` client works against the gateway as its baseURL, and SIGTERM drains open streams.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
  startIdp, startOpenAiMock, startGateway, gatewayConfig, readSse, expectStatus, eventually,
} from './lib/index.mjs';

const PROVIDER_KEY = 'sk-provider-stream-key';

function openaiConfig(idp, openai) {
  return gatewayConfig({
    idp,
    upstreams: { openai: { url: openai.url, credential: { header: 'Authorization', value: `Bearer ${PROVIDER_KEY}` }, response_timeout: '30s' } },
    routes: [{ name: 'openai', prefix: '/v1', upstream: 'openai', kind: 'openai' }],
    server: { timeouts: { drain: '30s' } },
  });
}

const streamBody = { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream please' }] };

describe('streaming and the official OpenAI client', () => {
  let idp; let openai; let gw;
  before(async () => {
    idp = await startIdp();
    openai = await startOpenAiMock({ chunkDelayMs: 20 });
    gw = await startGateway(null, openaiConfig(idp, openai));
  });
  after(async () => {
    openai?.server.release();
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), openai?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}\n${gw.tail()}`);
  });

  it('SSE events reach the client while the upstream still holds the stream open', async () => {
    const token = await idp.token();
    openai.server.hold();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(streamBody),
      signal: AbortSignal.timeout(60000),
    });
    assert.equal(res.status, 200, await (res.status === 200 ? '' : res.text()));
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    let firstSeenWhileHeld;
    const events = await readSse(res, (data, i) => {
      if (i === 0) {
        // The upstream sent exactly one chunk and is paused until we release it: if the gateway
        // buffered the stream, this event could not be here yet.
        firstSeenWhileHeld = openai.server.holding && openai.server.streamsFinished === 0;
        openai.server.release();
      }
    });
    assert.equal(firstSeenWhileHeld, true, 'first event arrived only after the upstream finished (buffered)');
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta?.content ?? '')).join('');
    assert.equal(text, 'Hello from the mock model.');
    assert.ok(chunks.some((c) => c.usage && c.usage.total_tokens > 0), 'usage chunk passed through');
    assert.equal(openai.server.last.body.user, 'alice_123');
    assert.equal(openai.server.last.headers.authorization, `Bearer ${PROVIDER_KEY}`);
  });

  it('the official openai client completes a chat completion through the gateway', async () => {
    const token = await idp.token({ sub: 'dr_smith' });
    const client = new OpenAI({ apiKey: token, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 60000 });
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.match(completion.choices[0].message.content, /user: dr_smith/);
    assert.ok(completion.usage.total_tokens > 0);
    assert.equal(openai.server.last.headers.authorization, `Bearer ${PROVIDER_KEY}`);
    assert.notEqual(openai.server.last.headers.authorization, `Bearer ${token}`);
  });

  it('the official openai client streams a chat completion through the gateway', async () => {
    const token = await idp.token({ sub: 'dr_smith' });
    const client = new OpenAI({ apiKey: token, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 60000 });
    const stream = await client.chat.completions.create({ ...streamBody });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'Hello from the mock model.');
    assert.ok(usage && usage.total_tokens > 0);
    assert.equal(openai.server.last.body.user, 'dr_smith');
  });

  it('the official openai client sees a 401 for a bad token', async () => {
    const client = new OpenAI({ apiKey: 'not-a-token', baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 60000 });
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM during an in-flight SSE stream: the stream completes, then the process exits 0', async (t) => {
    const idp = await startIdp();
    const openai = await startOpenAiMock({ chunkDelayMs: 20 });
    t.after(async () => { openai.server.release(); await Promise.all([idp.stop(), openai.close()]); });
    const gw = await startGateway(t, openaiConfig(idp, openai));
    const token = await idp.token();
    openai.server.hold();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(streamBody),
      signal: AbortSignal.timeout(90000),
    });
    expectStatus({ status: res.status, text: '' }, 200, gw);
    let exitedEarly = false;
    const events = await readSse(res, async (data, i) => {
      if (i !== 0) return;
      gw.proc.kill('SIGTERM');
      // Wait until the gateway acted on the signal (stops being ready or stops listening); if
      // it shows nothing from outside within 10 s, go on anyway.
      await eventually(async () => {
        try { return (await fetch(`${gw.url}/readyz`, { signal: AbortSignal.timeout(2000) })).status !== 200; } catch { return true; }
      }, { timeoutMs: 10000, intervalMs: 100 }).catch(() => {});
      exitedEarly = gw.proc.exitCode !== null || gw.proc.signalCode !== null;
      openai.server.release();
    });
    assert.equal(exitedEarly, false, 'gateway exited while a stream was in flight');
    assert.equal(events.at(-1), '[DONE]', `stream cut short: ${JSON.stringify(events)}`);
    const text = events.slice(0, -1).map((e) => JSON.parse(e)).flatMap((c) => c.choices.map((ch) => ch.delta?.content ?? '')).join('');
    assert.equal(text, 'Hello from the mock model.');
    const r = await gw.stop({ timeoutMs: 45000 });
    assert.deepEqual(r, { code: 0, signal: null }, gw.tail());
  });
});
