// OpenAI-compatible mock upstream (stands in for api.openai.com behind the gateway).
//
//   POST /v1/chat/completions            -> chat.completion JSON with `usage`
//   POST /v1/chat/completions stream:true -> text/event-stream: chunks spaced `chunkDelayMs` apart,
//                                           then a usage chunk (choices: []), then `data: [DONE]`
//   GET  /v1/models                      -> a model list
// The reply text says which user the upstream was told about (body `user`), so a demo shows
// that the gateway filled it in from the verified token.
//
// For tests the server object also exposes:
//   server.requests      every request: {method, url, headers, rawHeaders, body (parsed JSON or text)}
//   server.last          the last one
//   server.hold()        the next streams pause after their first chunk until server.release();
//                        server.holding is true while a stream is paused (emits 'holding')
//   server.streamsOpen   number of streams still being written
//
// Run alone: node examples/backends/openai-mock.mjs [port]   (default 7001, 127.0.0.1)
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const WORDS = ['Hello', ' from', ' the', ' mock', ' model', '.'];

export function createOpenAiMock({ chunkDelayMs = 30, words = WORDS } = {}) {
  let gate = null;
  let releaseGate = null;
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    let body = text;
    try { body = text ? JSON.parse(text) : null; } catch { /* keep the text */ }
    const record = { method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, body };
    server.requests.push(record);
    server.last = record;

    const path = new URL(req.url, 'http://x').pathname;
    const json = (status, obj) => {
      const out = JSON.stringify(obj);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    };
    if (req.method === 'GET' && path.endsWith('/models')) {
      return json(200, { object: 'list', data: [{ id: 'gpt-4o', object: 'model', created: 0, owned_by: 'mock' }] });
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      return json(404, { error: { message: `no such endpoint ${req.method} ${path}`, type: 'invalid_request_error' } });
    }
    if (!body || typeof body !== 'object') {
      return json(400, { error: { message: 'body must be JSON', type: 'invalid_request_error' } });
    }
    const model = body.model ?? 'unknown';
    const id = `chatcmpl-mock${server.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const content = `${words.join('')} (user: ${body.user ?? 'none'})`;
    const usage = { prompt_tokens: 12, completion_tokens: words.length, total_tokens: 12 + words.length };

    if (!body.stream) {
      return json(200, {
        id, object: 'chat.completion', created, model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
        usage,
      });
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    server.streamsOpen += 1;
    const send = (obj) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
    const chunk = (delta, finish = null) => ({
      id, object: 'chat.completion.chunk', created, model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    const pause = () => new Promise((r) => setTimeout(r, chunkDelayMs));
    try {
      send(chunk({ role: 'assistant', content: words[0] }));
      if (gate) {
        server.holding = true;
        server.emit('holding');
        await gate;
        server.holding = false;
      }
      for (const w of words.slice(1)) {
        await pause();
        send(chunk({ content: w }));
      }
      await pause();
      send(chunk({}, 'stop'));
      send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
      res.write('data: [DONE]\n\n');
      res.end();
      server.streamsFinished += 1;
    } finally {
      server.streamsOpen -= 1;
    }
  });
  server.requests = [];
  server.last = null;
  server.holding = false;
  server.streamsOpen = 0;
  server.streamsFinished = 0;
  server.hold = () => {
    if (!gate) gate = new Promise((r) => { releaseGate = r; });
  };
  server.release = () => {
    if (releaseGate) releaseGate();
    gate = null;
    releaseGate = null;
  };
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] ?? 7001);
  const server = createOpenAiMock({ chunkDelayMs: 150 });
  server.listen(port, '127.0.0.1', () => console.log(`OpenAI-compatible mock on http://127.0.0.1:${port}/v1`));
  const stop = () => { server.closeAllConnections?.(); server.close(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
