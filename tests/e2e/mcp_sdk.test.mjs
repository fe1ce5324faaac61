// MCP through the gateway with the official SDK on both sides: a stateless Streamable HTTP
// server with two tools behind an MCP route, and the SDK Client connecting with a bearer token.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startIdp, startGateway, gatewayConfig, expectStatus, expectError } from './lib/index.mjs';
import { listen } from './lib/net.mjs';

// Stateless mode: a fresh server and transport per request.
async function startMcpServer() {
  const calls = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const mcp = new McpServer({ name: 'calendar', version: '1.0.0' });
    mcp.tool('get_calendar', 'Lists the events', async () => {
      calls.push({ tool: 'get_calendar', user: req.headers['x-user-id'] });
      return { content: [{ type: 'text', text: `events of ${req.headers['x-user-id']}` }] };
    });
    mcp.tool('delete_calendar', 'Deletes the calendar', async () => {
      calls.push({ tool: 'delete_calendar', user: req.headers['x-user-id'] });
      return { content: [{ type: 'text', text: 'deleted' }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => { transport.close(); mcp.close(); });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  const l = await listen(server);
  return { ...l, calls };
}

describe('MCP SDK client and server through the gateway', () => {
  let idp; let mcp; let gw; let resource;
  before(async () => {
    idp = await startIdp();
    mcp = await startMcpServer();
    gw = await startGateway(null, gatewayConfig({
      idp,
      upstreams: { calendar_mcp: mcp.url },
      routes: [{ name: 'mcp', prefix: '/mcp', upstream: 'calendar_mcp', kind: 'mcp' }],
      policy: {
        routes: { mcp: {} },
        tools: {
          get_calendar: { requiredScopes: ['calendar:read'] },
          delete_calendar: { requiredRoles: ['admin'], requiredScopes: ['calendar:write'] },
        },
      },
    }));
    resource = `${gw.url}/mcp`;
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), mcp?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}`);
  });

  const token = (claims) => idp.token({ aud: [idp.audience, resource], ...claims });

  async function connect(bearer) {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(resource), {
      requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
    });
    await client.connect(transport);
    return client;
  }

  function jsonRpcError(err) {
    const text = String(err?.message ?? '');
    return JSON.parse(text.slice(text.indexOf('{')));
  }

  it('tools/list shows only the tools the user may call; an allowed call succeeds', async () => {
    const client = await connect(await token({ sub: 'reader_1', roles: ['staff'], scope: 'calendar:read' }));
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['get_calendar']);
      const result = await client.callTool({ name: 'get_calendar', arguments: {} });
      assert.equal(result.content[0].text, 'events of reader_1');
    } finally {
      await client.close();
    }
  });

  it('an admin with calendar:write sees and may call both tools', async () => {
    const client = await connect(await token({ sub: 'admin_1', roles: ['admin'], scope: 'calendar:read calendar:write' }));
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['delete_calendar', 'get_calendar']);
      const result = await client.callTool({ name: 'delete_calendar', arguments: {} });
      assert.equal(result.content[0].text, 'deleted');
    } finally {
      await client.close();
    }
  });

  it('a denied tools/call fails with JSON-RPC error -32003 and never reaches the server', async () => {
    const client = await connect(await token({ sub: 'reader_2', roles: ['staff'], scope: 'calendar:read' }));
    const before = mcp.calls.length;
    try {
      await assert.rejects(client.callTool({ name: 'delete_calendar', arguments: {} }), (err) => {
        const body = jsonRpcError(err);
        assert.equal(body.jsonrpc, '2.0');
        assert.equal(body.error.code, -32003);
        return true;
      });
    } finally {
      await client.close();
    }
    assert.equal(mcp.calls.filter((c) => c.tool === 'delete_calendar' && c.user === 'reader_2').length, 0);
    assert.equal(mcp.calls.length, before);
  });

  it('without a token: 401 whose WWW-Authenticate names the resource metadata', async () => {
    const res = await gw.request('/mcp', { method: 'POST', body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
    expectError(res, 401, 'missing_token', gw);
    assert.match(res.headers.get('www-authenticate'),
      new RegExp(`resource_metadata="${gw.url}/\\.well-known/oauth-protected-resource/mcp"`));
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(resource))),
      (err) => err.code === 401 && /missing_token/.test(err.message));
  });

  it('serves the protected resource metadata document for the route', async () => {
    const res = await gw.request('/.well-known/oauth-protected-resource/mcp');
    expectStatus(res, 200, gw);
    const doc = res.json;
    assert.equal(doc.resource, resource);
    assert.deepEqual(doc.authorization_servers, [idp.issuer]);
    assert.deepEqual(doc.scopes_supported.sort(), ['calendar:read', 'calendar:write']);
    assert.deepEqual(doc.bearer_methods_supported, ['header']);
    const top = await gw.request('/.well-known/oauth-protected-resource');
    expectStatus(top, 200, gw);
    assert.deepEqual(top.json.authorization_servers, [idp.issuer]);
  });

  it('a token for another audience is refused on the MCP route (wrong_audience)', async () => {
    const other = await idp.token({ sub: 'reader_3', scope: 'calendar:read' }); // aud api://gateway only
    const res = await gw.request('/mcp', { method: 'POST', token: other, body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
    expectError(res, 401, 'wrong_audience', gw);
    assert.match(res.headers.get('www-authenticate'), /error="invalid_token".*resource_metadata="/);
    await assert.rejects(connect(other), (err) => err.code === 401 && /wrong_audience/.test(err.message));
  });
});
