// Demo calendar backend (the seed's "Show me MY calendar" API).
//
// It trusts the gateway: it returns only the events of the user named by the `X-User-Id` header
// the gateway injected from the verified token, and never looks at any token itself.
//   GET /calendar/events   -> {"user": "...", "events": [...]}      (only that user's events)
//   GET /calendar/echo     -> {"method", "url", "headers": {...}}    (what the backend received)
//   anything else          -> 404
// Without X-User-Id it answers 401: a backend behind gatewaystack never serves anonymous data.
//
// Run alone: node examples/backends/calendar.mjs [port]   (default 7000, 127.0.0.1)
import http from 'node:http';
import { pathToFileURL } from 'node:url';

export const EVENTS = [
  { id: 1, owner: 'alice_123', title: 'Dentist', start: '2026-12-01T09:00:00Z' },
  { id: 2, owner: 'alice_123', title: 'Team sync', start: '2026-12-01T14:00:00Z' },
  { id: 3, owner: 'bob_456', title: 'Salary review (confidential)', start: '2026-12-02T10:00:00Z' },
  { id: 4, owner: 'carol_789', title: 'Oncology appointment', start: '2026-12-03T08:30:00Z' },
];

// Returns an http.Server (not listening yet). `requests` collects {method, url, headers,
// rawHeaders} of everything received, for tests.
export function createCalendarServer({ requests = [] } = {}) {
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders });
    req.resume();
    const path = new URL(req.url, 'http://x').pathname;
    const send = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (path.endsWith('/echo')) {
      return send(200, { method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders });
    }
    if (path === '/calendar' || path === '/calendar/events' || path === '/events') {
      const userId = req.headers['x-user-id'];
      if (!userId) return send(401, { error: 'no verified user' });
      return send(200, { user: userId, events: EVENTS.filter((e) => e.owner === userId) });
    }
    return send(404, { error: 'not found', path });
  });
  server.requests = requests;
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] ?? 7000);
  const server = createCalendarServer();
  server.listen(port, '127.0.0.1', () => console.log(`calendar backend on http://127.0.0.1:${port}`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
