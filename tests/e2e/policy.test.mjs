// The seed's policy document as is: only doctors and physician assistants with medical:write
// may use gpt-4-medical; a nurse gets 403 and the provider never sees the request.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIdp, startOpenAiMock, startGateway, gatewayConfig, expectStatus, expectError } from './lib/index.mjs';

const policyFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/policies/medical.json');

describe('seed policy: gpt-4-medical for doctors with medical:write', () => {
  let idp; let openai; let gw;
  before(async () => {
    idp = await startIdp();
    openai = await startOpenAiMock();
    gw = await startGateway(null, gatewayConfig({
      idp,
      upstreams: { openai: { url: openai.url, credential: { header: 'Authorization', value: 'Bearer sk-medical' } } },
      routes: [{ name: 'openai', prefix: '/v1', upstream: 'openai', kind: 'openai', models: { 'gpt-4-medical': { model: 'gpt-4o' } } }],
      policy: { models_file: policyFile, models: { 'gpt-4o': {} }, routes: { openai: {} } },
    }));
  });
  after(async () => {
    const r = await gw?.stop();
    await Promise.all([idp?.stop(), openai?.close()]);
    if (r) assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}`);
  });

  const chat = async (claims, model = 'gpt-4-medical') => gw.request('/v1/chat/completions', {
    method: 'POST', token: await idp.token(claims), body: { model, messages: [{ role: 'user', content: 'diagnosis?' }] },
  });

  it('a doctor with medical:write may use gpt-4-medical; the upstream gets the aliased model', async () => {
    const res = await chat({ sub: 'dr_smith', roles: ['doctor'], scope: 'medical:write' });
    expectStatus(res, 200, gw);
    assert.equal(openai.server.last.body.model, 'gpt-4o');
    assert.equal(openai.server.last.body.user, 'dr_smith');
    assert.equal(openai.server.last.headers['x-user-role'], 'doctor');
  });

  it('a physician assistant with medical:write may too', async () => {
    expectStatus(await chat({ sub: 'pa_lee', roles: ['physician_assistant'], scope: 'medical:write other' }), 200, gw);
  });

  it('a nurse gets 403 role_missing and the provider sees nothing', async () => {
    const before = openai.server.requests.length;
    expectError(await chat({ sub: 'nurse_jones', roles: ['nurse'], scope: 'medical:write' }), 403, 'role_missing', gw);
    assert.equal(openai.server.requests.length, before);
  });

  it('a doctor without medical:write gets 403 scope_missing', async () => {
    expectError(await chat({ sub: 'dr_who', roles: ['doctor'], scope: 'medical:read' }), 403, 'scope_missing', gw);
  });

  it('spoofed role headers do not help', async () => {
    const res = await gw.request('/v1/chat/completions', {
      method: 'POST', token: await idp.token({ sub: 'nurse_jones', roles: ['nurse'] }),
      headers: { 'x-user-role': 'doctor', 'x-user-scopes': 'medical:write' },
      body: { model: 'gpt-4-medical', messages: [] },
    });
    expectError(res, 403, 'role_missing', gw);
  });

  it('a model without a rule is 403 model_not_allowed (deny by default)', async () => {
    expectError(await chat({ sub: 'dr_smith', roles: ['doctor'], scope: 'medical:write' }, 'gpt-5-unlisted'), 403, 'model_not_allowed', gw);
  });
});
