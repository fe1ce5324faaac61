// bench/load helper: node mint.mjs ISSUER JWKS_OUT -> writes a public JWKS, prints an RS256 token.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/e2e/package.json'));
const { generateKeyPair, exportJWK, SignJWT } = await import(pathToFileURL(require.resolve('jose')).href);

const [issuer, jwksOut] = process.argv.slice(2);
const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
writeFileSync(jwksOut, JSON.stringify({ keys: [jwk] }));
const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({ roles: ['bench'], scope: 'calendar:read', email: 'bench@example.org' })
  .setProtectedHeader({ alg: 'RS256', kid: 'bench-1', typ: 'JWT' })
  .setIssuer(issuer).setAudience('api://gateway').setSubject('bench_user')
  .setIssuedAt(now).setNotBefore(now - 10).setExpirationTime(now + 4 * 3600)
  .sign(privateKey);
process.stdout.write(token);
