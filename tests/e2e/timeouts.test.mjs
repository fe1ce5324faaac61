// Client-side timeouts over raw sockets: a request head that never ends (slowloris), a body that
// stops arriving, and an idle keep-alive connection are each cut by the gateway near their
// configured timeout (enforced by a 100 ms sweep), while a connection that keeps working is not.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  startIdp, startCalendar, startGateway, gatewayConfig, parseResponse,
} from './lib/index.mjs';

const TIMEOUT_MS = 800;

// Connects, writes `chunks` (strings), collects what comes back; resolves when the gateway
// closes the connection, with the bytes received and how long after the last write it closed.
function untilClosed(port, chunks, { giveUpMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received = [];
    let lastWrite = Date.now();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the gateway kept the connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      lastWrite = Date.now();
    });
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(received), afterMs: Date.now() - lastWrite });
    });
  });
}

describe('client timeouts', () => {
  let idp; let calendar; let gw;
  before(async () => {
    idp = await startIdp();
    calendar = await startCalendar();
    gw = await startGateway(null, gatewayConfig({
      idp,
      upstreams: { calendar: calendar.url },
      routes: [{ name: 'calendar', prefix: '/calendar', upstream: 'calendar' }],
      server: {
        workers: 1,
        timeouts: { header_read: `${TIMEOUT_MS}ms`, body_read: `${TIMEOUT_MS}ms`, idle: `${TIMEOUT_MS}ms` },
      },
      extra: { audit: { enabled: false } },
    }));
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), calendar?.close()]);
    assert.equal(r?.code, 0, gw?.tail());
  });

  it('cuts a request head that never ends', async () => {
    const { data, afterMs } = await untilClosed(gw.port, ['GET /calendar/events HTTP/1.1\r\nHost: gw\r\nX-Slow: 1\r\n']);
    assert.equal(data.length, 0, 'nothing is answered to half a head');
    assert.ok(afterMs >= TIMEOUT_MS - 50, `closed after ${afterMs} ms, before header_read`);
  });

  it('cuts a body that stops arriving', async () => {
    const token = await idp.token({ sub: 'alice' });
    const head = `POST /calendar/events HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${token}\r\n`
      + 'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial":';
    const { afterMs } = await untilClosed(gw.port, [head]);
    assert.ok(afterMs >= TIMEOUT_MS - 50, `closed after ${afterMs} ms, before body_read`);
  });

  it('closes an idle keep-alive connection after answering', async () => {
    const token = await idp.token({ sub: 'alice' });
    const { data, afterMs } = await untilClosed(gw.port, [
      `GET /calendar/events HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    ]);
    const res = parseResponse(data);
    assert.ok(res, `a complete response before the close: ${data.toString('latin1').slice(0, 200)}`);
    assert.equal(res.status, 200);
    assert.ok(afterMs >= TIMEOUT_MS - 50, `closed after ${afterMs} ms, before idle`);
  });

  it('keeps a connection that keeps working past the timeout', async () => {
    const token = await idp.token({ sub: 'alice' });
    const socket = net.connect(gw.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let closed = false;
    socket.on('close', () => { closed = true; });
    const request = `GET /calendar/events HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    let buffered = Buffer.alloc(0);
    socket.on('data', (d) => { buffered = Buffer.concat([buffered, d]); });
    // Four requests, each after half the idle timeout: 2x the timeout in all.
    for (let i = 0; i < 4; i++) {
      buffered = Buffer.alloc(0);
      socket.write(request);
      for (let waited = 0; !parseResponse(buffered) && waited < 5000; waited += 10) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(parseResponse(buffered)?.status, 200, `request ${i + 1} answered`);
      await new Promise((r) => setTimeout(r, TIMEOUT_MS / 2));
    }
    assert.equal(closed, false, 'a working connection was cut');
    socket.destroy();
  });
});
