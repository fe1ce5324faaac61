// Adversarial tokens, minted with jose. `payload` defaults should come from baseClaims(idp).
import { SignJWT, importJWK, generateKeyPair, exportJWK, base64url } from 'jose';

export function baseClaims(idp, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { iss: idp.issuer, aud: idp.audience, sub: 'alice_123', iat: now, nbf: now - 10, exp: now + 3600, ...extra };
}

// Signs `payload` with a private JWK (or KeyObject) under `alg`, with extra header fields.
export async function sign(privateKey, alg, payload, header = {}) {
  const key = privateKey.kty ? await importJWK(privateKey, alg) : privateKey;
  // jose refuses to sign an unknown `crit` extension unless told it is recognised.
  const crit = Array.isArray(header.crit) ? Object.fromEntries(header.crit.map((c) => [c, true])) : undefined;
  return new SignJWT(payload).setProtectedHeader({ typ: 'JWT', ...header, alg }).sign(key, crit ? { crit } : undefined);
}

// A fresh key pair nobody published: {privateKey, publicJwk}.
export async function foreignKey(alg = 'RS256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

const enc = (obj) => base64url.encode(JSON.stringify(obj));

// {"alg":"none"} with an empty signature.
export function algNone(payload, header = {}) {
  return `${enc({ typ: 'JWT', ...header, alg: 'none' })}.${enc(payload)}.`;
}

// HS256 keyed with the issuer's RSA public key material (the classic algorithm confusion):
// once with the JWK's modulus bytes and once with the JSON of the public JWK.
export async function hs256WithPublicKey(publicJwk, payload, header = {}) {
  const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
  return new SignJWT(payload).setProtectedHeader({ typ: 'JWT', kid: publicJwk.kid, ...header, alg: 'HS256' }).sign(secret);
}

// Same header and payload, signature bytes changed.
export function tamperSignature(token) {
  const [h, p, s] = token.split('.');
  const bytes = base64url.decode(s);
  bytes[0] ^= 0x01;
  bytes[bytes.length - 1] ^= 0x80;
  return `${h}.${p}.${base64url.encode(bytes)}`;
}

// Same header and signature, payload changed (e.g. sub swapped): the signature no longer matches.
export function tamperPayload(token, changes) {
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
  return `${h}.${enc({ ...payload, ...changes })}.${s}`;
}
