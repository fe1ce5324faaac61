// Prometheus /metrics on the admin listener after a known mix of requests: the exposition is
// valid (promtool check metrics when installed, and always a strict text-format parse: HELP/TYPE,
// names, labels, cumulative histogram buckets ending in +Inf with _sum/_count), and the counters
// equal the traffic sent. Also: Server-Timing is added when server.server_timing is true.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  startIdp, startCalendar, startOpenAiMock, startGateway, gatewayConfig, freePort, eventually,
  expectStatus,
} from './lib/index.mjs';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// Parses one label set `{a="x",b="y"}` starting at text[i] === '{'; returns [labels, nextIndex].
function parseLabels(text, i, where) {
  const labels = {};
  assert.equal(text[i], '{');
  i += 1;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    assert.ok(eq > i, `${where}: label without '='`);
    const name = text.slice(i, eq);
    assert.match(name, LABEL_NAME, `${where}: bad label name ${JSON.stringify(name)}`);
    assert.ok(!(name in labels), `${where}: duplicate label ${name}`);
    i = eq + 1;
    assert.equal(text[i], '"', `${where}: label value must be quoted`);
    i += 1;
    let value = '';
    for (;;) {
      assert.ok(i < text.length, `${where}: unterminated label value`);
      const c = text[i];
      if (c === '"') { i += 1; break; }
      if (c === '\\') {
        const n = text[i + 1];
        assert.ok(n === '\\' || n === '"' || n === 'n', `${where}: bad escape \\${n}`);
        value += n === 'n' ? '\n' : n;
        i += 2;
      } else {
        value += c;
        i += 1;
      }
    }
    labels[name] = value;
    if (text[i] === ',') i += 1;
    else assert.equal(text[i], '}', `${where}: expected ',' or '}' after a label`);
  }
  return [labels, i + 1];
}

function parseValue(s, where) {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  assert.match(s, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `${where}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

// A strict parser for the Prometheus text format 0.0.4. Returns {families: Map(name -> {type,
// help, samples: [{name, labels, value}]})}; throws (assert) on anything malformed.
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'exposition must end with a newline');
  const families = new Map();
  const family = (name) => {
    if (!families.has(name)) families.set(name, { name, type: undefined, help: undefined, samples: [] });
    return families.get(name);
  };
  const seenSeries = new Set();
  let current;
  const closed = new Set();
  text.slice(0, -1).split('\n').forEach((line, n) => {
    const where = `line ${n + 1} ${JSON.stringify(line)}`;
    assert.ok(line.length > 0, `${where}: empty line`);
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      assert.match(name, METRIC_NAME, `${where}: bad metric name`);
      const f = family(name);
      if (kind === 'HELP') {
        assert.equal(f.help, undefined, `${where}: second HELP for ${name}`);
        f.help = rest;
      } else {
        assert.equal(f.type, undefined, `${where}: second TYPE for ${name}`);
        assert.equal(f.samples.length, 0, `${where}: TYPE after samples of ${name}`);
        assert.match(rest, /^(counter|gauge|histogram|summary|untyped)$/, `${where}: bad type`);
        f.type = rest;
      }
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    assert.ok(nameEnd > 0, `${where}: no metric name`);
    const name = line.slice(0, nameEnd);
    assert.match(name, METRIC_NAME, `${where}: bad metric name`);
    let labels = {};
    let i = nameEnd;
    if (line[i] === '{') [labels, i] = parseLabels(line, i, where);
    assert.equal(line[i], ' ', `${where}: expected a space before the value`);
    const parts = line.slice(i + 1).split(' ');
    assert.ok(parts.length === 1 || parts.length === 2, `${where}: expected value [timestamp]`);
    const value = parseValue(parts[0], where);
    if (parts.length === 2) assert.match(parts[1], /^-?\d+$/, `${where}: bad timestamp`);
    // Histogram/summary samples belong to the family named without the suffix.
    let base = name;
    for (const suffix of ['_bucket', '_sum', '_count']) {
      const b = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && families.get(b)?.type && ['histogram', 'summary'].includes(families.get(b).type)) base = b;
    }
    if (current !== base) {
      if (current !== undefined) closed.add(current);
      assert.ok(!closed.has(base), `${where}: samples of ${base} are not contiguous`);
      current = base;
    }
    const f = family(base);
    if (f.type === 'counter') assert.ok(value >= 0 && Number.isFinite(value), `${where}: counter must be finite and >= 0`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!seenSeries.has(key), `${where}: duplicate series`);
    seenSeries.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) {
    assert.ok(f.type, `${f.name}: no TYPE line`);
    assert.ok(f.help !== undefined, `${f.name}: no HELP line`);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return { families };
}

function checkHistogram(f) {
  const series = new Map();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (!series.has(key)) series.set(key, { buckets: [], sum: undefined, count: undefined });
    const h = series.get(key);
    if (s.name === `${f.name}_bucket`) {
      assert.ok(le !== undefined, `${f.name}_bucket without le`);
      h.buckets.push([parseValue(le, `${f.name} le`), s.value]);
    } else if (s.name === `${f.name}_sum`) h.sum = s.value;
    else if (s.name === `${f.name}_count`) h.count = s.value;
    else assert.fail(`${s.name} in histogram ${f.name}`);
  }
  for (const [key, h] of series) {
    const what = `${f.name}${key}`;
    assert.ok(h.buckets.length > 0, `${what}: no buckets`);
    for (let i = 1; i < h.buckets.length; i++) {
      assert.ok(h.buckets[i][0] > h.buckets[i - 1][0], `${what}: le not increasing`);
      assert.ok(h.buckets[i][1] >= h.buckets[i - 1][1], `${what}: buckets not cumulative`);
    }
    const last = h.buckets[h.buckets.length - 1];
    assert.equal(last[0], Infinity, `${what}: last bucket is not +Inf`);
    assert.ok(h.sum !== undefined, `${what}: no _sum`);
    assert.ok(h.count !== undefined, `${what}: no _count`);
    assert.equal(h.count, last[1], `${what}: _count != +Inf bucket`);
  }
}

// Value of one series (labels must match exactly), or undefined.
function sample(parsed, name, labels = {}) {
  for (const f of parsed.families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}

// Sum of all series of `name` whose labels include `match`.
function total(parsed, name, match = {}) {
  let sum = 0;
  for (const f of parsed.families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
    }
  }
  return sum;
}

const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

describe('metrics', () => {
  let idp; let calendar; let openai; let gw; let adminUrl;
  before(async () => {
    idp = await startIdp();
    calendar = await startCalendar();
    openai = await startOpenAiMock({ chunkDelayMs: 0 });
    // The admin port is chosen before the gateway binds it: when another process takes it in
    // between, the gateway exits with "Address already in use"; try again with another port.
    for (let attempt = 1; ; attempt++) {
      const adminPort = await freePort();
      adminUrl = `http://127.0.0.1:${adminPort}`;
      try {
        gw = await startGateway(null, gatewayConfig({
          idp,
          upstreams: { calendar: calendar.url, openai: openai.url },
          routes: [
            { name: 'calendar', prefix: '/calendar', upstream: 'calendar' },
            { name: 'admin', prefix: '/admin', upstream: 'calendar' },
            { name: 'openai', prefix: '/v1', upstream: 'openai', kind: 'openai' },
          ],
          policy: { routes: { calendar: {}, admin: { requiredRoles: ['admin'] } }, models: { '*': {} } },
          server: { server_timing: true },
          extra: { admin: { listen: `127.0.0.1:${adminPort}` }, audit: { instance_id: 'gw-metrics', sqlite: { flush_interval: '10ms' } } },
        }));
        break;
      } catch (e) {
        if (attempt >= 3 || !/Address already in use/.test(e.message)) throw e;
      }
    }
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), calendar?.close(), openai?.close()]);
    assert.equal(r?.code, 0, gw?.tail());
  });

  async function scrape() {
    const res = await fetch(`${adminUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  }

  it('counts a known mix of requests exactly, in a valid exposition', async () => {
    const token = await idp.token({ sub: 'dr-smith', roles: ['doctor'] });
    for (let i = 0; i < 3; i++) {
      const res = await gw.request('/calendar/events', { token });
      expectStatus(res, 200, gw);
      assert.match(res.headers.get('server-timing') ?? '', /(^|, )identity;dur=\d+(\.\d+)?(,|$)/, 'Server-Timing with server.server_timing: true');
      assert.match(res.headers.get('server-timing'), /policy;dur=\d/);
    }
    for (let i = 0; i < 2; i++) expectStatus(await gw.request('/calendar/events'), 401, gw);
    expectStatus(await gw.request('/admin/users', { token }), 403, gw);
    expectStatus(await gw.request('/nowhere', { token }), 404, gw);
    const usage = [];
    for (let i = 0; i < 2; i++) {
      const res = await gw.request('/v1/chat/completions', {
        method: 'POST', token, body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
      });
      expectStatus(res, 200, gw);
      usage.push(res.json.usage);
    }
    const sent = 9;

    // Audit entries are written by a background thread: wait until all records are counted.
    let text; let parsed;
    await eventually(async () => {
      text = await scrape();
      parsed = parseExposition(text);
      return total(parsed, 'gw_audit_records_written_total') >= sent + total(parsed, 'gw_audit_checkpoints_total');
    }, { what: 'every audit record written' });

    if (promtool) {
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      // Exit 0 = valid; exit 3 = only lint warnings (naming advice), which are not errors.
      assert.ok(r.status === 0 || r.status === 3, `promtool check metrics (exit ${r.status}):\n${r.stdout}${r.stderr}`);
      assert.doesNotMatch(`${r.stdout}${r.stderr}`, /error/i, `promtool: ${r.stdout}${r.stderr}`);
    }

    const req = (route, status, reason) => sample(parsed, 'gw_http_requests_total', { route, status: String(status), reason });
    assert.equal(req('calendar', 200, ''), 3, text);
    assert.equal(req('calendar', 401, 'missing_token'), 2, text);
    assert.equal(req('admin', 403, 'role_missing'), 1, text);
    assert.equal(req('', 404, 'no_route'), 1, text);
    assert.equal(req('openai', 200, ''), 2, text);
    assert.equal(total(parsed, 'gw_http_requests_total'), sent, 'no other requests counted (probes and /metrics are not)');
    // Tokens per model and direction, as the upstream reported them.
    const tokens = (direction) => sample(parsed, 'gw_tokens_total', { model: 'gpt-4o', direction });
    assert.equal(tokens('input'), usage[0].prompt_tokens + usage[1].prompt_tokens, text);
    assert.equal(tokens('output'), usage[0].completion_tokens + usage[1].completion_tokens, text);
    assert.equal(total(parsed, 'gw_http_request_duration_seconds_count'), sent);
    assert.equal(sample(parsed, 'gw_http_request_duration_seconds_count', { route: 'calendar' }), 5);

    // Identity runs for every routed request: 5 allowed + 1 denied by policy verified, 2 without token.
    assert.equal(sample(parsed, 'gw_identity_verifications_total', { result: 'ok' }), 6);
    assert.equal(sample(parsed, 'gw_identity_verifications_total', { result: 'missing_token' }), 2);
    assert.equal(total(parsed, 'gw_identity_verifications_total'), 8);
    assert.equal(sample(parsed, 'gw_policy_decisions_total', { decision: 'allow', reason: 'ok' }), 5);
    assert.equal(sample(parsed, 'gw_policy_decisions_total', { decision: 'deny', reason: 'role_missing' }), 1);
    assert.equal(total(parsed, 'gw_policy_decisions_total'), 6);
    assert.ok(total(parsed, 'gw_identity_jwks_fetches_total', { result: 'ok' }) >= 1, 'JWKS fetched at least once');

    // Every request leaves exactly one audit record; the rest are checkpoints.
    const checkpoints = total(parsed, 'gw_audit_checkpoints_total');
    assert.ok(checkpoints >= 1, 'segment_start checkpoint');
    assert.equal(sample(parsed, 'gw_audit_records_written_total', { sink: 'sqlite' }), sent + checkpoints, text);
    assert.equal(sample(parsed, 'gw_audit_dropped_total'), 0);
    assert.equal(sample(parsed, 'gw_audit_queue_depth'), 0);
    assert.ok(sample(parsed, 'gw_audit_queue_high_water') >= 1);

    const families = parsed.families;
    assert.equal(families.get('gw_http_requests_total').type, 'counter');
    assert.equal(families.get('gw_http_request_duration_seconds').type, 'histogram');
    assert.equal(families.get('gw_audit_queue_high_water').type, 'gauge');
  });

  it('the strict parser rejects malformed expositions', () => {
    const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
    parseExposition(ok);
    const bad = [
      'a_total 1\n', // no TYPE/HELP
      '# HELP a A.\n# TYPE a counter\na{x="1} 2\n', // unterminated value
      '# HELP a A.\n# TYPE a counter\na{1x="1"} 2\n', // bad label name
      '# HELP a A.\n# TYPE a counter\na -1\n', // negative counter
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n', // no +Inf
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\n', // no _count
    ];
    for (const b of bad) assert.throws(() => parseExposition(b), undefined, JSON.stringify(b));
  });

  it('no Server-Timing header unless server.server_timing is true', async () => {
    const plain = await startGateway(null, gatewayConfig({
      idp,
      upstreams: { calendar: calendar.url },
      routes: [{ name: 'calendar', prefix: '/calendar', upstream: 'calendar' }],
      extra: { audit: { enabled: false } },
    }));
    try {
      const res = await plain.request('/calendar/events', { token: await idp.token({ sub: 'dr-smith' }) });
      expectStatus(res, 200, plain);
      assert.equal(res.headers.get('server-timing'), null);
    } finally {
      assert.equal((await plain.stop()).code, 0, plain.tail());
    }
  });
});
