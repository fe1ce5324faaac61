// The e2e harness: everything a test needs to run the real binary between real parties.
// See README.md beside this file.
export * from './net.mjs';
export * from './idp.mjs';
export * from './upstreams.mjs';
export * from './gateway.mjs';
export * from './services.mjs';
export * from './tokens.mjs';
