// Real Redis and PostgreSQL servers on free loopback ports, in temp dirs, for tests that need
// them (limits store, audit sink). Each returns {url, port, dir, stop()}; the process is killed
// when the test process exits. Binaries come from Debian's redis-server and postgresql packages.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { freePort, eventually } from './net.mjs';
import { tempDir } from './gateway.mjs';

const children = new Set();
process.on('exit', () => { for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

function track(proc) {
  children.add(proc);
  const exited = new Promise((r) => proc.on('exit', (code, signal) => { children.delete(proc); r({ code, signal }); }));
  return exited;
}

export async function startRedis() {
  const dir = tempDir('gw-redis-');
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' });
  const exited = track(proc);
  await eventually(() => canConnect(port), { timeoutMs: 20000, what: `redis on ${port}` });
  return {
    port, dir, url: `redis://127.0.0.1:${port}`,
    async stop() { proc.kill('SIGTERM'); await exited; },
  };
}

function pgBin(name) {
  for (const d of ['/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin']) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${name} not found (apt-get install postgresql)`);
}

// PostgreSQL refuses to run as root: when root, the cluster runs as the `postgres` user (setpriv
// execs in place, so the tracked pid is the postmaster itself).
export async function startPostgres({ database = 'gatewaystack' } = {}) {
  const dir = tempDir('gw-pg-');
  const data = path.join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const wrap = (bin, args) => (asRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', bin, ...args]] : [bin, args]);
  if (asRoot) execFileSync('chown', ['-R', 'postgres', dir]);
  fs.chmodSync(dir, 0o755);
  const [c1, a1] = wrap(pgBin('initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  execFileSync(c1, a1, { stdio: 'ignore' });
  const [c2, a2] = wrap(pgBin('postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-F', '-c', 'fsync=off']);
  const proc = spawn(c2, a2, { stdio: 'ignore' });
  const exited = track(proc);
  await eventually(async () => {
    if (!(await canConnect(port))) return false;
    try {
      execFileSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', `CREATE DATABASE ${database}`], { stdio: 'ignore' });
      return true;
    } catch { return false; }
  }, { timeoutMs: 30000, what: `postgres on ${port}` });
  return {
    port, dir, url: `postgresql://postgres@127.0.0.1:${port}/${database}`,
    async stop() { proc.kill('SIGINT'); await exited; },
  };
}
