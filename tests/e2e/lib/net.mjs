// Loopback plumbing: listen on a free port, pick a free port, raw HTTP/1.1 requests (for targets
// that fetch() would normalise: `..`, `%2e%2e`, absolute-form) and an SSE reader.
import net from 'node:net';

// Starts `server` (http.Server or net.Server) on 127.0.0.1 with an OS-chosen port.
// Returns {port, url, close()}; close() also drops kept-alive connections.
export async function listen(server, port = 0) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const actual = server.address().port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

// A port that was free a moment ago (the gateway binds it itself; callers retry on a clash).
export async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// A TCP listener that accepts connections and never answers (an upstream that hangs).
export async function startBlackhole() {
  const sockets = new Set();
  const server = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); s.on('close', () => sockets.delete(s)); });
  const l = await listen(server);
  server.connections = sockets;
  return { ...l, server, close: async () => { for (const s of sockets) s.destroy(); await l.close(); } };
}

// Parses "HTTP/1.1 200 OK\r\nheaders...\r\n\r\nbody" (body de-chunked when chunked).
export function parseResponse(buf) {
  const text = buf.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = text.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) return null;
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  let body = buf.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    let rest = body;
    for (;;) {
      const nl = rest.indexOf('\r\n');
      if (nl < 0) break;
      const size = parseInt(rest.subarray(0, nl).toString('latin1'), 16);
      if (!size) break;
      parts.push(rest.subarray(nl + 2, nl + 2 + size));
      rest = rest.subarray(nl + 2 + size + 2);
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  const bodyText = body.toString('utf8');
  let json;
  try { json = JSON.parse(bodyText); } catch { json = undefined; }
  return { status: Number(m[1]), headers, body: bodyText, json };
}

// Sends `head` (request line + headers, CRLF separated, WITHOUT the final blank line) and an
// optional body over one connection, returns the parsed response. The request always carries
// `Connection: close`. With `bodyAfterResponseWindowMs`, the body is only sent when no response
// came within that window (a server may answer 413 from Content-Length alone).
export function rawRequest(port, head, { body, timeoutMs = 20000, bodyAfterResponseWindowMs } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = (err) => {
      if (done) return;
      const buf = Buffer.concat(chunks);
      const parsed = parseResponse(buf);
      if (parsed) { done = true; clearTimeout(timer); sock.destroy(); resolve(parsed); return; }
      if (err) { done = true; clearTimeout(timer); sock.destroy(); reject(err); }
    };
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms; got: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`)), timeoutMs);
    sock.on('data', (d) => {
      chunks.push(d);
      const parsed = parseResponse(Buffer.concat(chunks));
      // Complete when the body is complete (Content-Length) or the connection ends.
      if (parsed && parsed.headers['content-length'] !== undefined &&
          Buffer.byteLength(parsed.body) >= Number(parsed.headers['content-length'])) finish();
    });
    sock.on('end', () => finish(new Error('connection closed without a response')));
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error('connection closed without a response')));
    const headText = `${head.replace(/\r?\n$/, '')}\r\nConnection: close\r\n\r\n`;
    sock.write(headText, 'latin1');
    if (body !== undefined) {
      const sendBody = () => { if (!done && !sock.destroyed) sock.write(body, () => {}); };
      if (bodyAfterResponseWindowMs) setTimeout(sendBody, bodyAfterResponseWindowMs);
      else sendBody();
    }
  });
}

// Reads a text/event-stream Response (fetch) event by event. Calls onEvent(data, index) as each
// `data:` event arrives (before the next one is read) and returns all data strings.
export async function readSse(response, onEvent = () => {}) {
  const decoder = new TextDecoder();
  let buffer = '';
  const events = [];
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let sep;
    while ((sep = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, sep);
      buffer = buffer.slice(sep).replace(/^\r?\n\r?\n/, '');
      const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (!block.trim() || data === '' && !block.includes('data:')) continue;
      events.push(data);
      await onEvent(data, events.length - 1);
    }
  }
  return events;
}

// Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws with the
// last value or error). For conditions the gateway reaches on its own schedule.
export async function eventually(fn, { timeoutMs = 20000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
