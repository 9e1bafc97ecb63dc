import { setTimeout as sleep } from 'node:timers/promises';
import { tokenHash, type Queryable } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { createAuthenticator } from '../src/auth.js';
import { storesFor } from '../src/dialect-stores.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { makeEvent } from './support/events.js';

describeBackends('bearer authentication', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend);
  });
  afterAll(async () => h?.close());

  const batch = () => ({ events: [makeEvent()] });

  it.each([
    ['no Authorization header', null, 'Bearer realm="goldpdv-central"'],
    ['a malformed header', 'Basic dXNlcjpwYXNz', 'Bearer realm="goldpdv-central", error="invalid_request"'],
    ['a token with forbidden characters', 'abc def"', 'Bearer realm="goldpdv-central", error="invalid_request"'],
    ['an unknown token', 'token-nobody-has-this-one-0000', 'Bearer realm="goldpdv-central", error="invalid_token"'],
    ['the token of an inactive PDV', PDVS.inactive.token, 'Bearer realm="goldpdv-central", error="invalid_token"'],
  ])('refuses %s with 401 and WWW-Authenticate', async (_case, token, challenge) => {
    const headers: Record<string, string> = token === null ? {} : { authorization: token.startsWith('Basic') ? token : `Bearer ${token}` };
    const response = await h.request('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(batch()),
    });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(challenge);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json).toMatchObject({ status: 401, type: 'urn:goldpdv:problem:unauthorized' });
  });

  it('stores nothing for refused requests', async () => {
    expect(await h.inboxCount()).toBe(0);
  });

  it('accepts the right token and attributes the events to its PDV', async () => {
    const response = await h.postJson('/v1/events', batch(), { token: PDVS.b.token });
    expect(response.status).toBe(200);
    expect(await h.inboxCount(PDVS.b.pdvId)).toBe(1);
    expect(await h.inboxCount(PDVS.a.pdvId)).toBe(0);
  });

  it('accepts the scheme name in any case, as RFC 9110 allows', async () => {
    const response = await h.request('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `bearer ${PDVS.a.token}` },
      body: JSON.stringify(batch()),
    });
    expect(response.status).toBe(200);
  });
});

describeBackends('PDV_TOKENS bootstrap (demo and development)', (backend) => {
  const token = 'demo-token-loja02-pdv07-0123456789';
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, { PDV_TOKENS: `loja02-pdv07:2:${token}` });
  });
  afterAll(async () => h?.close());

  it('registers the PDV with the hash of its token, never the token, and the token then works', async () => {
    const { rows } = await h.db.query<{ loja_id: number; token_hash: string }>(
      `SELECT loja_id, token_hash FROM sync_pdv WHERE pdv_id = ${h.db.dialect === 'mssql' ? '@p1' : '$1'}`,
      ['loja02-pdv07'],
    );
    expect(rows).toEqual([{ loja_id: 2, token_hash: tokenHash(token) }]);
    const response = await h.postJson('/v1/events', { events: [makeEvent()] }, { token });
    expect(response.status).toBe(200);
    expect(await h.inboxCount('loja02-pdv07')).toBe(1);
    expect(JSON.stringify(h.logs())).not.toContain(token);
  });
});

describeBackends('the token cache at fleet scale', (backend) => {
  const TTL_MS = 1_000;
  const fleet = Array.from({ length: 30 }, (_, index) => ({
    pdvId: `loja01-pdv${String(index + 10).padStart(2, '0')}`,
    token: `token-fleet-${String(index).padStart(3, '0')}-cccccccccccc`,
  }));
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend);
    const { pdvs } = storesFor(h.db.dialect);
    for (const pdv of fleet) await pdvs.insert(h.db, { pdvId: pdv.pdvId, lojaId: 1, tokenHash: tokenHash(pdv.token), label: null });
  });
  afterAll(async () => h?.close());

  it('revalidates every cached token with one registry read per half TTL, and a revoked or moved PDV still changes within the TTL', async () => {
    const { pdvs } = storesFor(h.db.dialect);
    const statements: string[] = [];
    const observed: Queryable = {
      dialect: h.db.dialect,
      query: (sql, params) => (statements.push(sql), h.db.query(sql, params)),
      executeScript: (sql) => h.db.executeScript(sql),
    };
    const count = (needle: string) => statements.filter((sql) => sql.includes(needle)).length;
    const auth = createAuthenticator(observed, pdvs, { cacheTtlMs: TTL_MS });
    const as = (token: string) => auth.authenticate({ authorization: `Bearer ${token}` });
    const everyPdvFor = async (ms: number) => {
      for (const until = Date.now() + ms; Date.now() < until; await sleep(20)) {
        for (const pdv of fleet.slice(2)) await as(pdv.token);
      }
    };

    for (const pdv of fleet) expect(await as(pdv.token)).toEqual({ pdvId: pdv.pdvId, lojaId: 1 });
    expect(count('WHERE token_hash =')).toBe(fleet.length);
    await everyPdvFor(2.5 * TTL_MS);
    // 2.5 TTLs of requests from 28 PDVs: without revalidation each would have been looked up twice more, and the two
    // PDVs that made no request stay cached too.
    const revalidations = count('WHERE active =');
    expect(revalidations).toBeGreaterThanOrEqual(3);
    expect(revalidations).toBeLessThanOrEqual(6);
    expect(count('WHERE token_hash =')).toBe(fleet.length);

    const [revoked, moved] = fleet;
    await pdvs.setActive(h.db, revoked!.pdvId, false);
    await pdvs.moveToLoja(h.db, moved!.pdvId, 2);
    await everyPdvFor(TTL_MS + 100);
    await expect(as(revoked!.token)).rejects.toMatchObject({ status: 401 });
    expect(await as(moved!.token)).toEqual({ pdvId: moved!.pdvId, lojaId: 2 });
    expect(await as(fleet[5]!.token)).toEqual({ pdvId: fleet[5]!.pdvId, lojaId: 1 });
  });
});
