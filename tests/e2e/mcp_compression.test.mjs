// MCP tools/list filtering against an upstream that compresses its answers: the gateway asks
// for them unencoded (Accept-Encoding: identity), decodes gzip sent anyway before filtering, and
// refuses, with 502 upstream_protocol_error, an answer it cannot read (an encoding it cannot
// decode, malformed JSON-RPC). A hidden tool never becomes visible.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { startIdp, startGateway, gatewayConfig, expectStatus, expectError, listen } from './lib/index.mjs';

const TOOLS = [
  { name: 'get_calendar', inputSchema: { type: 'object' } },
  { name: 'delete_calendar', inputSchema: { type: 'object' } },
];

// An MCP server whose tools/list answer is gzip-compressed when the request allows it
// (`compress: 'negotiate'`), always (`'force'`) or never; as JSON or as an event stream
// (`form`), or replaced by `raw` bytes. Records the Accept-Encoding of every request.
async function startCompressingMcp() {
  const state = { compress: 'negotiate', coding: 'gzip', form: 'json', raw: undefined, acceptEncodings: [] };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const rpc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    state.acceptEncodings.push(req.headers['accept-encoding']);
    const message = JSON.stringify({ jsonrpc: '2.0', id: rpc.id, result: { tools: TOOLS } });
    let body = Buffer.from(state.raw ?? (state.form === 'sse' ? `event: message\ndata: ${message}\n\n` : message));
    const headers = { 'content-type': state.form === 'sse' ? 'text/event-stream' : 'application/json' };
    const allowsGzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (state.compress === 'force' || (state.compress === 'negotiate' && allowsGzip)) {
      body = state.coding === 'br' ? zlib.brotliCompressSync(body) : zlib.gzipSync(body);
      headers['content-encoding'] = state.coding;
    }
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(body);
  });
  return { ...(await listen(server)), state };
}

describe('MCP tools/list with a compressing upstream', () => {
  let idp; let mcp; let gw; let token;
  before(async () => {
    idp = await startIdp();
    mcp = await startCompressingMcp();
    gw = await startGateway(null, gatewayConfig({
      idp,
      upstreams: { calendar_mcp: mcp.url },
      routes: [{ name: 'mcp', prefix: '/mcp', upstream: 'calendar_mcp', kind: 'mcp' }],
      policy: {
        routes: { mcp: {} },
        tools: {
          get_calendar: { requiredScopes: ['calendar:read'] },
          delete_calendar: { requiredRoles: ['admin'] },
        },
      },
    }));
    token = await idp.token({ sub: 'reader_1', aud: [idp.audience, `${gw.url}/mcp`], scope: 'calendar:read' });
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), mcp?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}`);
  });

  const listTools = () => gw.request('/mcp', {
    method: 'POST',
    token,
    headers: { 'accept-encoding': 'gzip, deflate, br', accept: 'application/json, text/event-stream' },
    body: { jsonrpc: '2.0', id: 7, method: 'tools/list' },
  });

  // The tool names of a JSON or event-stream tools/list answer.
  function toolNames(res) {
    const json = res.json ?? JSON.parse(res.text.split('\n').find((l) => l.startsWith('data:')).slice(5));
    return json.result.tools.map((t) => t.name);
  }

  for (const form of ['json', 'sse']) {
    it(`asks for identity whatever the client accepts, and filters the ${form} answer`, async () => {
      Object.assign(mcp.state, { compress: 'negotiate', coding: 'gzip', form, raw: undefined });
      const seen = mcp.state.acceptEncodings.length;
      const res = await listTools();
      expectStatus(res, 200, gw);
      assert.equal(res.headers.get('content-encoding'), null);
      assert.deepEqual(toolNames(res), ['get_calendar']);
      assert.deepEqual(mcp.state.acceptEncodings.slice(seen), ['identity']);
    });

    it(`decodes a ${form} answer gzipped although identity was asked for, then filters it`, async () => {
      Object.assign(mcp.state, { compress: 'force', coding: 'gzip', form, raw: undefined });
      const res = await listTools();
      expectStatus(res, 200, gw);
      assert.equal(res.headers.get('content-encoding'), null);
      assert.deepEqual(toolNames(res), ['get_calendar']);
    });

    it(`refuses a ${form} answer in an encoding it cannot decode: 502, nothing shown`, async () => {
      Object.assign(mcp.state, { compress: 'force', coding: 'br', form, raw: undefined });
      const res = await listTools();
      expectError(res, 502, 'upstream_protocol_error', gw);
      assert.ok(!res.text.includes('delete_calendar'), res.text);
    });

    it(`refuses a malformed ${form} answer: 502, nothing shown`, async () => {
      const raw = form === 'sse'
        ? 'event: message\ndata: {"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"delete_calendar"}\n\n'
        : '{"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"delete_calendar"}';
      Object.assign(mcp.state, { compress: 'never', form, raw });
      const res = await listTools();
      expectError(res, 502, 'upstream_protocol_error', gw);
      assert.ok(!res.text.includes('delete_calendar'), res.text);
    });
  }
});
