// The command line: `check` finds every mistake with file:line and key path; good configs pass.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, writeConfig, gatewayConfig, startIdp } from './lib/index.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const BAD = `server:
  listen: 127.0.0.1:8080
  wrokers: 4
  limits:
    max_body_bytes: lots
identity:
  issuers:
    - issuer: http://127.0.0.1:9000
      audiences: [api://gateway]
      algorithms: [RS256]
      refresh_interval: soon
upstreams:
  calendar:
    url: http://127.0.0.1:7000
routes:
  - name: calendar
    prefix: /calendar
    upstream: calendar
    strip_prefix: maybe
`;

describe('gatewaystack check', () => {
  it('reports every typo and wrong type as file:line: key.path and exits 2', async () => {
    const file = writeConfig(BAD, { name: 'bad.yaml' });
    const { code, stdout, stderr } = await runCli(['check', '--config', file]);
    assert.equal(code, 2, `exit ${code}\nstdout: ${stdout}\nstderr: ${stderr}`);
    for (const [line, key] of [[3, 'server.wrokers'], [5, 'server.limits.max_body_bytes'],
      [11, 'identity.issuers[0].refresh_interval'], [19, 'routes[0].strip_prefix']]) {
      const re = new RegExp(`bad\\.yaml:${line}: ${key.replace(/[.[\]]/g, '\\$&')}: \\S`);
      assert.match(stderr, re, `missing "${file}:${line}: ${key}: ..." in:\n${stderr}`);
    }
  });

  it('reports a route naming an unknown upstream', async () => {
    const file = writeConfig(`upstreams:
  calendar:
    url: http://127.0.0.1:7000
routes:
  - name: calendar
    prefix: /calendar
    upstream: calender
    public: true
`, { name: 'route.yaml' });
    const { code, stderr } = await runCli(['check', '--config', file]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /route\.yaml:7: routes\[0\]\.upstream: /, stderr);
  });

  it('reports an unset ${VAR} in the config', async () => {
    const file = writeConfig(`upstreams:
  openai:
    url: http://127.0.0.1:7001
    credential: {header: Authorization, value: "Bearer \${GW_E2E_SURELY_UNSET_VAR}"}
routes:
  - {name: openai, prefix: /v1, upstream: openai, kind: openai, public: true}
`, { name: 'env.yaml' });
    const { code, stderr } = await runCli(['check', '--config', file], { env: { GW_E2E_SURELY_UNSET_VAR: undefined } });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /env\.yaml:4: .*GW_E2E_SURELY_UNSET_VAR/, stderr);
  });

  it('fails on a missing file', async () => {
    const { code, stderr } = await runCli(['check', '--config', '/nonexistent/gatewaystack.yaml']);
    assert.notEqual(code, 0);
    assert.match(stderr, /nonexistent\/gatewaystack\.yaml/);
  });

  it('accepts a good config (exit 0)', async () => {
    const idp = await startIdp();
    try {
      const file = writeConfig(gatewayConfig({
        idp,
        upstreams: { calendar: 'http://127.0.0.1:7000' },
        routes: [{ name: 'calendar', prefix: '/calendar', upstream: 'calendar' }],
        server: { listen: '127.0.0.1:8080' },
      }));
      const { code, stdout, stderr } = await runCli(['check', '--config', file]);
      assert.equal(code, 0, `stdout: ${stdout}\nstderr: ${stderr}`);
    } finally { await idp.stop(); }
  });

  it('accepts every example config', async () => {
    const dirs = [path.join(repo, 'examples/configs'), path.join(repo, 'examples/demo')];
    const files = dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(d, f)) : []));
    assert.ok(files.length >= 4, `example configs: ${files}`);
    for (const file of files) {
      const { code, stdout, stderr } = await runCli(['check', '--config', file], { env: { OPENAI_API_KEY: 'sk-example' } });
      assert.equal(code, 0, `${file}\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
  });

  it('--version and --help', async () => {
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /\d+\.\d+\.\d+/);
    const h = await runCli(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /serve/);
    assert.match(h.stdout, /check/);
  });
});
