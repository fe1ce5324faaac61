// Everything the demo gateway talks to, in one process:
//   mock OIDC issuer      http://127.0.0.1:9000  (oauth2-mock-server, from tests/e2e/node_modules)
//   calendar backend      http://127.0.0.1:7000  (../backends/calendar.mjs)
//   OpenAI-compatible     http://127.0.0.1:7001  (../backends/openai-mock.mjs)
//
// Tokens for the demo users (RS256, aud api://gateway, 1 hour):
//   curl -s 'http://127.0.0.1:9000/demo-token?user=alice_123'
//   curl -s -d grant_type=password -d username=dr_smith http://127.0.0.1:9000/token   (standard token endpoint)
//
// Run: node examples/demo/services.mjs   (scripts/demo starts it with the gateway)
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createCalendarServer } from '../backends/calendar.mjs';
import { createOpenAiMock } from '../backends/openai-mock.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/e2e/package.json'));
let mock;
try {
  mock = await import(pathToFileURL(require.resolve('oauth2-mock-server')).href);
} catch {
  console.error('oauth2-mock-server is missing: run scripts/setup (or npm ci in tests/e2e)');
  process.exit(1);
}
const { OAuth2Issuer, OAuth2Service } = mock;

export const USERS = {
  alice_123: { email: 'alice@example.org', roles: ['patient'], scope: 'calendar:read' },
  bob_456: { email: 'bob@example.org', roles: ['employee'], scope: 'calendar:read' },
  dr_smith: { email: 'smith@clinic.example', roles: ['doctor'], scope: 'medical:write calendar:read' },
  nurse_jones: { email: 'jones@clinic.example', roles: ['nurse'], scope: 'medical:read calendar:read' },
};
const AUDIENCE = 'api://gateway';
const ISSUER = 'http://127.0.0.1:9000';

const issuer = new OAuth2Issuer();
issuer.url = ISSUER;
await issuer.keys.generate('RS256');
const service = new OAuth2Service(issuer);

function claimsFor(user, payload) {
  const u = USERS[user];
  payload.sub = user;
  payload.aud = AUDIENCE;
  if (u) {
    payload.email = u.email;
    payload.roles = u.roles;
    payload.scope = u.scope;
  }
}

// Standard /token endpoint: sub = username (password grant) or client_id.
service.on('beforeTokenSigning', (token, req) => {
  claimsFor(String(req.body?.username ?? req.body?.client_id ?? 'alice_123'), token.payload);
});

const idpServer = http.createServer(async (req, res) => {
  const url = new URL(req.url, ISSUER);
  if (url.pathname === '/demo-token') {
    const user = url.searchParams.get('user') ?? 'alice_123';
    const token = await issuer.buildToken({ scopesOrTransform: (_h, payload) => claimsFor(user, payload) });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${token}\n`);
    return;
  }
  service.requestHandler(req, res);
});

const servers = [
  [idpServer, 9000, 'mock OIDC issuer'],
  [createCalendarServer(), 7000, 'calendar backend'],
  [createOpenAiMock({ chunkDelayMs: 150 }), 7001, 'OpenAI-compatible mock'],
];
for (const [server, port, what] of servers) {
  await new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`${what}: cannot listen on 127.0.0.1:${port}: ${e.message}`)));
    server.listen(port, '127.0.0.1', resolve);
  });
  console.log(`${what} on http://127.0.0.1:${port}`);
}
const stop = () => { for (const [s] of servers) { s.closeAllConnections?.(); s.close(); } process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
