// Upstreams on loopback for the gateway to forward to. Each returns {url, port, server, close()}.
//   startCalendar()     the seed's calendar backend (examples/backends/calendar.mjs): filters
//                       by X-User-Id; /calendar/echo returns the headers it received
//   startOpenAiMock()   OpenAI-compatible (examples/backends/openai-mock.mjs): JSON + SSE with
//                       usage; server.last = last request; server.hold()/release() pause streams
//   startUpstream(fn)   any (req, res) handler; server.requests records every request
//   startBlackhole()    (net.mjs) accepts and never answers
import http from 'node:http';
import { createCalendarServer } from '../../../examples/backends/calendar.mjs';
import { createOpenAiMock } from '../../../examples/backends/openai-mock.mjs';
import { listen } from './net.mjs';

async function started(server) {
  const l = await listen(server);
  return { ...l, server };
}

export async function startCalendar() {
  return started(createCalendarServer());
}

export async function startOpenAiMock(options = {}) {
  return started(createOpenAiMock(options));
}

export async function startUpstream(handler) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders });
    handler(req, res);
  });
  server.requests = requests;
  return started(server);
}
