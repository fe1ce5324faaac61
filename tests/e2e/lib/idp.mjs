// An independent OIDC issuer on loopback, built from oauth2-mock-server: discovery document at
// /.well-known/openid-configuration, JWKS at /jwks, token endpoint at /token, and direct token
// minting with any claims.
//
//   const idp = await startIdp();                  // one RS256 key
//   const token = await idp.token({ sub: 'alice_123', roles: ['doctor'] });
//   const kid2 = await idp.rotate();               // new key published and used from now on
//   await idp.removeKey(kid1);                     // old key no longer in the JWKS
//   await idp.stop(); await idp.start();           // down / up again on the same port
//   idp.jwksRequests                               // how often /jwks was fetched
//   idp.privateJwk(kid)                            // to sign adversarial tokens with jose
import http from 'node:http';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';
import { listen } from './net.mjs';

export const DEFAULT_AUDIENCE = 'api://gateway';

export async function startIdp({ alg = 'RS256', audience = DEFAULT_AUDIENCE } = {}) {
  let issuer = new OAuth2Issuer();
  let service = new OAuth2Service(issuer);
  let signingKid = (await issuer.keys.generate(alg)).kid;
  const counters = { jwks: 0, discovery: 0 };

  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/jwks')) counters.jwks += 1;
    if (req.url.startsWith('/.well-known/')) counters.discovery += 1;
    service.requestHandler(req, res);
  });
  let handle = await listen(server);
  const port = handle.port;
  const url = `http://127.0.0.1:${port}`;
  issuer.url = url;

  // Rebuilds the issuer with a key list (oauth2-mock-server has no key removal).
  const rebuild = async (keys) => {
    const next = new OAuth2Issuer();
    next.url = url;
    for (const k of keys) await next.keys.add(k);
    issuer = next;
    service = new OAuth2Service(issuer);
  };

  const idp = {
    url,
    issuer: url,
    port,
    audience,
    jwksUri: `${url}/jwks`,
    discoveryUri: `${url}/.well-known/openid-configuration`,
    get kid() { return signingKid; },
    get jwksRequests() { return counters.jwks; },
    get discoveryRequests() { return counters.discovery; },
    get running() { return server.listening; },

    // A signed access token. Defaults: iss = this issuer, aud = `audience`, sub = alice_123,
    // iat/nbf/exp around now (1 h). `claims` override/extend the payload (a claim set to
    // undefined is removed); `header` extends the protected header.
    async token(claims = {}, { kid = signingKid, expiresIn = 3600, header = {} } = {}) {
      return issuer.buildToken({
        kid,
        expiresIn,
        scopesOrTransform: (h, payload) => {
          Object.assign(h, header);
          payload.aud = audience;
          payload.sub = 'alice_123';
          for (const [k, v] of Object.entries(claims)) {
            if (v === undefined) delete payload[k];
            else payload[k] = v;
          }
        },
      });
    },

    // Publishes a new key (not used for signing unless passed as `kid`). Returns its kid.
    async addKey(keyAlg = alg) {
      return (await issuer.keys.generate(keyAlg)).kid;
    },
    // Publishes a new key and signs with it from now on. Returns its kid.
    async rotate(keyAlg = alg) {
      signingKid = await idp.addKey(keyAlg);
      return signingKid;
    },
    async removeKey(kid) {
      await rebuild(issuer.keys.toJSON(true).filter((k) => k.kid !== kid));
    },
    privateJwk(kid = signingKid) {
      return issuer.keys.toJSON(true).find((k) => k.kid === kid);
    },
    publicJwks() {
      return { keys: issuer.keys.toJSON(false) };
    },
    async stop() {
      if (server.listening) await handle.close();
    },
    async start() {
      if (!server.listening) handle = await listen(server, port);
    },
  };
  return idp;
}
