// The PostgreSQL audit sink end to end: a real PostgreSQL (Debian postgresql, in a temp dir on a
// free loopback port), two gateway instances with distinct audit.instance_id writing into one
// table, mixed traffic (200, 401, 403, 404) to both; `audit verify --postgres` passes for both
// chains with every request recorded exactly once, and names the row edited with psql.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  startIdp, startCalendar, startGateway, gatewayConfig, runCli, tempDir, startPostgres, expectStatus,
} from './lib/index.mjs';

function pgBinariesMissing() {
  const dirs = ['/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin'];
  for (const name of ['initdb', 'postgres']) {
    if (!dirs.some((d) => fs.existsSync(path.join(d, name)))) return `PostgreSQL binaries absent (${name} not found; apt-get install postgresql)`;
  }
  if (!['/usr/bin', '/usr/local/bin'].some((d) => fs.existsSync(path.join(d, 'psql')))) return 'psql absent (apt-get install postgresql-client)';
  return false;
}
const skip = pgBinariesMissing();

function psql(pg, sql) {
  return new Promise((resolve, reject) => {
    execFile('psql', [pg.url, '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-c', sql],
      (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout.trim())));
  });
}

describe('audit trail in PostgreSQL, two instances', { skip }, () => {
  let pg; let idp; let calendar; let gws = [];
  const keyDir = skip ? '' : tempDir('gw-audit-key-');
  const keyFile = path.join(keyDir, 'audit-ed25519.pem');
  const pubFile = path.join(keyDir, 'audit-ed25519.pub.pem');

  before(async () => {
    pg = await startPostgres({ database: 'audit' });
    idp = await startIdp();
    calendar = await startCalendar();
  });
  after(async () => {
    for (const gw of gws) await gw.stop();
    await Promise.all([idp?.stop(), calendar?.close(), pg?.stop()]);
  });

  function config(instanceId) {
    return gatewayConfig({
      idp,
      upstreams: { calendar: calendar.url },
      routes: [
        { name: 'calendar', prefix: '/calendar', upstream: 'calendar' },
        { name: 'admin', prefix: '/admin', upstream: 'calendar' },
      ],
      policy: { routes: { calendar: {}, admin: { requiredRoles: ['admin'] } }, models: { '*': {} } },
      extra: {
        audit: {
          mode: 'fail_closed',
          instance_id: instanceId,
          checkpoint_every: 5,
          signing_key_file: keyFile,
          postgres: { url: pg.url, flush_interval: '10ms' },
        },
      },
    });
  }

  it('both chains verify, every request is one record, and an UPDATE is named', async () => {
    // The first instance generates the signing key; the second reuses it, so one public key
    // checks the checkpoints of both chains.
    const a = await startGateway(null, config('gw-a'));
    gws.push(a);
    assert.ok(fs.existsSync(pubFile), `public key written beside ${keyFile}`);
    const b = await startGateway(null, config('gw-b'));
    gws.push(b);

    const doctor = await idp.token({ sub: 'dr-smith', roles: ['doctor'] });
    const nurse = await idp.token({ sub: 'nurse-jones', roles: ['nurse'] });
    const sent = new Map([['gw-a', []], ['gw-b', []]]);
    const send = async (gw, instance, p, token, status, reason) => {
      const res = await gw.request(p, { token });
      expectStatus(res, status, gw);
      const id = res.headers.get('x-request-id');
      assert.ok(id, 'x-request-id on every response');
      sent.get(instance).push({ id, status, reason });
    };
    // Mixed traffic, interleaved across the two instances, some of it concurrent.
    for (let round = 0; round < 3; round++) {
      await Promise.all([
        send(a, 'gw-a', '/calendar/events', doctor, 200, ''),
        send(b, 'gw-b', '/calendar/events', nurse, 200, ''),
        send(a, 'gw-a', '/calendar/events', undefined, 401, 'missing_token'),
        send(b, 'gw-b', '/admin/users', doctor, 403, 'role_missing'),
      ]);
      await send(b, 'gw-b', '/calendar/events', undefined, 401, 'missing_token');
      await send(a, 'gw-a', '/admin/users', nurse, 403, 'role_missing');
      await send(round % 2 ? a : b, round % 2 ? 'gw-a' : 'gw-b', '/nowhere', doctor, 404, 'no_route');
    }
    const total = sent.get('gw-a').length + sent.get('gw-b').length;
    assert.equal(total, 21);

    // fail_closed: every answered request is already committed; a clean stop adds the shutdown
    // checkpoints.
    for (const gw of [a, b]) assert.equal((await gw.stop()).code, 0, gw.tail());
    gws = [];

    let v = await runCli(['audit', 'verify', '--postgres', pg.url, '--public-key', pubFile]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`^OK: ${total} records, \\d+ checkpoints, 2 instance\\(s\\); checkpoint signatures verified`), v.stdout);

    // One record per request, per instance, with the status and reason the client saw.
    const counts = await psql(pg, "SELECT instance_id || ' ' || count(*) FROM gw_audit_log WHERE kind = 'request' GROUP BY instance_id ORDER BY instance_id");
    assert.equal(counts, `gw-a ${sent.get('gw-a').length}\ngw-b ${sent.get('gw-b').length}`);
    const q = await runCli(['audit', 'query', '--postgres', pg.url, '--limit', '100000', '--format', 'json']);
    assert.equal(q.code, 0, q.stderr);
    const rows = q.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.equal(rows.length, total, q.stdout);
    for (const [instance, list] of sent) {
      for (const { id, status, reason } of list) {
        const matching = rows.filter((r) => r.request_id === id);
        assert.equal(matching.length, 1, `request ${id}: ${matching.length} records`);
        assert.equal(matching[0].instance_id, instance);
        assert.equal(matching[0].status, status, JSON.stringify(matching[0]));
        assert.equal(matching[0].reason, reason, JSON.stringify(matching[0]));
      }
    }
    // Each chain is gapless: seq 1..n per instance.
    for (const instance of sent.keys()) {
      const seqs = await psql(pg, `SELECT min(seq) || ' ' || max(seq) || ' ' || count(*) FROM gw_audit_log WHERE instance_id = '${instance}'`);
      const [min, max, n] = seqs.split(' ').map(Number);
      assert.equal(min, 1, `${instance} starts at seq 1`);
      assert.equal(max, n, `${instance}: seq has gaps or repeats (${seqs})`);
    }

    // Tamper with one denied record of gw-b: verify fails and names it.
    const victim = sent.get('gw-b').find((r) => r.status === 403).id;
    const seq = await psql(pg, `SELECT seq FROM gw_audit_log WHERE request_id = '${victim}'`);
    assert.match(seq, /^\d+$/);
    await psql(pg, `UPDATE gw_audit_log SET status = 200, decision = 'allow' WHERE request_id = '${victim}'`);
    v = await runCli(['audit', 'verify', '--postgres', pg.url, '--public-key', pubFile]);
    assert.notEqual(v.code, 0, v.stdout);
    assert.match(v.stdout, /^FAILED: /m, v.stdout);
    assert.match(v.stdout, new RegExp(`problem=modified instance=gw-b seq=${seq} `), v.stdout);
  });
});
