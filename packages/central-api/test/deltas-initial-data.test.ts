import { RESET_REQUIRED_TYPE, resetRequiredSchema, snapshotPageSchema, type ChangesPage } from '@goldpdv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { createSyncTokens, type SyncTokenClaims } from '../src/deltas/sync-token.js';
import type { TokenKey, TokenKeyring } from '../src/deltas/token-keyring.js';
import { PDVS } from './support/central-harness.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { writeUntracked } from './deltas-fixtures.js';

/**
 * A client must load a table's initial data before it may read the table's deltas: Change Tracking from
 * version 0 only returns what changed after tracking began. The last page of a snapshot hands a Sync-Token
 * that every GET /v1/changes carries; without it the answer is 410 (reason initial-data).
 */
const insertOperadores = async (rig: DeltasRig, ids: readonly number[]) => {
  for (const id of ids) await rig.exec('INSERT INTO operador (operador_id, nome, login) VALUES ($1, $2, $3)', [id, `Operador ${id}`, `op${id}`]);
};

describeBackends('GET /v1/changes demands the proof that the initial data was loaded', (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend);
  });
  afterAll(async () => rig?.close());

  it('serves every row that existed before tracking began through the snapshot, and refuses deltas without its token', async () => {
    await writeUntracked(rig, 'operador', ['operador_id'], () => insertOperadores(rig, [1, 2, 3]));
    if (rig.db.dialect !== 'mssql') {
      // Like SQL Server on a database whose tracking was just turned on: nothing raises the minimum valid version.
      expect((await rig.exec(`SELECT min_valid_version::text AS v FROM sync_change_tracking WHERE table_name = 'operador'`))[0]!.v).toBe('0');
      // So the changes since 0 pass the validity check and miss the three rows: this is the hole.
      const hole = await rig.get('/v1/changes?table=operador&since=0', { syncToken: null });
      expect(hole.status).toBe(410);
      expect(resetRequiredSchema.parse(hole.json)).toMatchObject({ type: RESET_REQUIRED_TYPE, table: 'operador', sinceVersion: '0', minValidVersion: '0' });
      expect(hole.json).toMatchObject({ reason: 'initial-data', detail: expect.stringContaining('no Sync-Token header') });
    }
    // The snapshot carries them all, and its last page hands the token.
    const first = await rig.get('/v1/snapshot?table=operador&limit=2');
    expect(first.headers['sync-token']).toBeUndefined();
    const { rows, snapshotVersion } = await rig.snapshotAll('operador', { limit: 2 });
    expect(rows.map((row) => row.operador_id)).toEqual([1, 2, 3]);
    const token = rig.syncTokenOf('operador');
    expect(token).toMatch(/^v1\.\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    // With it, deltas go on from the snapshot's version; every page hands the token again.
    await insertOperadores(rig, [4]);
    const page = await rig.get(`/v1/changes?table=operador&since=${snapshotVersion}`);
    expect(page.status).toBe(200);
    expect((page.json as ChangesPage).changes.map((change) => change.key.operador_id)).toEqual([4]);
    expect(page.headers['sync-token']).toBe(token);
  });

  it('refuses a missing, forged or altered token, one of another table, and one of another loja', async () => {
    const since = await rig.checkpoint('produto');
    const precoSince = await rig.checkpoint('preco_loja');
    const token = rig.syncTokenOf('produto')!;
    const [version, key, claims, mac] = token.split('.') as [string, string, string, string];
    const otherClaims = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')), b: '0' })).toString('base64url');
    const refused = async (syncToken: string | null, table = 'produto', from = since, bearer: string = PDVS.a.token) => {
      const response = await rig.get(`/v1/changes?table=${table}&since=${from}`, { syncToken, token: bearer });
      expect(response.status, `${syncToken}: ${response.text}`).toBe(410);
      return response.json as { reason: string; detail: string };
    };
    expect(await refused(null)).toMatchObject({ reason: 'initial-data' });
    expect(await refused(`${version}.${key}.${otherClaims}.${mac}`)).toMatchObject({ reason: 'initial-data', detail: expect.stringContaining('signature') });
    expect(await refused(`${version}.${key}.${claims}.${'A'.repeat(43)}`)).toMatchObject({ reason: 'initial-data' });
    expect(await refused(`${version}.999.${claims}.${mac}`)).toMatchObject({ reason: 'initial-data', detail: expect.stringContaining('key 999') });
    expect(await refused('not a token')).toMatchObject({ reason: 'initial-data' });
    expect(await refused(token, 'categoria', '0')).toMatchObject({ reason: 'initial-data', detail: expect.stringContaining('of table produto') });
    // A price list loaded for loja 1 is not a proof for the PDV of loja 2, even with a valid signature.
    expect(await refused(rig.syncTokenOf('preco_loja'), 'preco_loja', precoSince, PDVS.b.token)).toMatchObject({ reason: 'scope' });
    // The real one still works, for its own PDV.
    expect((await rig.get(`/v1/changes?table=produto&since=${since}`)).status).toBe(200);
  });

  it('takes a snapshot read right after tracking began, with nothing committed since, as a start: no loop back into a reset', async () => {
    await writeUntracked(rig, 'forma_pagamento', ['forma_pagamento_id'], () =>
      rig.exec(`INSERT INTO forma_pagamento (forma_pagamento_id, descricao, tipo) VALUES (1, 'Dinheiro', 'DINHEIRO'), (2, 'Pix', 'PIX')`).then(() => undefined),
    );
    // No write to the table after tracking began: the snapshot's version is where tracking started (on a fresh
    // SQL Server database, version 0). Deltas from it must be served, window after window.
    // A catalog read that began while the trigger was off (the serving clock's, say) is shared by the requests
    // that come while it runs, so one of them may still find the table paused (409): a PDV asks again later.
    let answer = await rig.get('/v1/snapshot?table=forma_pagamento');
    for (let tries = 0; answer.status === 409 && tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await rig.get('/v1/snapshot?table=forma_pagamento');
    }
    expect(answer.status, answer.text).toBe(200);
    const snapshot = snapshotPageSchema.parse(answer.json);
    expect(snapshot.rows).toHaveLength(2);
    let since = snapshot.snapshotVersion;
    for (let round = 0; round < 3; round++) {
      const page = await rig.get(`/v1/changes?table=forma_pagamento&since=${since}`);
      expect(page.status, page.text).toBe(200);
      expect((page.json as ChangesPage).changes).toEqual([]);
      since = (page.json as ChangesPage).toVersion;
    }
  });

  it('keeps accepting tokens of an older key after a rotation, hands them back under the newest, and refuses them once that key is deleted', async () => {
    const since = await rig.checkpoint('preco_loja');
    const old = rig.syncTokenOf('preco_loja')!;
    const oldKey = Number(old.split('.')[1]);
    if (rig.db.dialect === 'mssql') await rig.db.executeScript('EXEC dbo.sync_rotate_token_key;');
    else await rig.exec('SELECT sync_rotate_token_key()');
    const rotated = await rig.get(`/v1/changes?table=preco_loja&since=${since}`);
    expect(rotated.status).toBe(200);
    const renewed = String(rotated.headers['sync-token']);
    expect(Number(renewed.split('.')[1])).toBe(oldKey + 1);
    // Once every PDV holds a renewed token, the old key can go; a token still signed with it means a snapshot.
    await rig.exec(rig.db.dialect === 'mssql' ? 'DELETE FROM dbo.sync_token_key WHERE key_id = $1' : 'DELETE FROM sync_token_key WHERE key_id = $1', [oldKey]);
    expect((await rig.get(`/v1/changes?table=preco_loja&since=${since}`, { syncToken: old })).json).toMatchObject({ status: 410, reason: 'initial-data' });
    expect((await rig.get(`/v1/changes?table=preco_loja&since=${since}`, { syncToken: renewed })).status).toBe(200);
  });
});

describe('Sync-Tokens', () => {
  const keyring = (keys: TokenKey[], fresh = true): TokenKeyring => ({
    signingKey: async () => keys.at(-1)!,
    keyById: async (id) => keys.find((key) => key.id === id),
    freshKeys: () => (fresh ? keys : null),
  });
  const first = { id: 1, secret: Buffer.alloc(32, 1) };
  const second = { id: 2, secret: Buffer.alloc(32, 2) };
  const claims: SyncTokenClaims = { table: 'produto', loja: null, base: '0', incarnation: 'AbCdEfGhIjKlMnOpQrStUv' };

  it('round-trips its claims, the version-0 snapshot included, and checks with every key it holds', async () => {
    const tokens = createSyncTokens(keyring([first]));
    const token = await tokens.issue(claims);
    expect(await tokens.read(token)).toEqual({ valid: true, claims, keyId: 1 });
    const filtered = await tokens.issue({ table: 'preco_loja', loja: 7, base: '9223372036854775807', incarnation: 'x' });
    expect(await tokens.read(filtered)).toMatchObject({ valid: true, claims: { table: 'preco_loja', loja: 7, base: '9223372036854775807', incarnation: 'x' } });
    // After a rotation: the old token still checks, a new one is signed with the newest key.
    const rotated = createSyncTokens(keyring([first, second]));
    expect(await rotated.read(token)).toMatchObject({ valid: true, keyId: 1 });
    expect((await rotated.issue(claims)).split('.')[1]).toBe('2');
    // Once its key is gone, it no longer does.
    expect(await createSyncTokens(keyring([second])).read(token)).toMatchObject({ valid: false, why: expect.stringContaining('key 1') });
  });

  it('hands a token back as it is while its key is the newest, and signs its claims with the newest key after a rotation', async () => {
    const token = await createSyncTokens(keyring([first])).issue(claims);
    const reading = await createSyncTokens(keyring([first])).read(token);
    if (!reading.valid) throw new Error(reading.why);
    expect(await createSyncTokens(keyring([first])).renew(token, reading)).toBe(token);
    const rotated = createSyncTokens(keyring([first, second]));
    const renewed = await rotated.renew(token, reading);
    expect(renewed.split('.')[1]).toBe('2');
    expect(await rotated.read(renewed)).toEqual({ valid: true, claims, keyId: 2 });
  });

  it('keeps a token it found valid only while the key that signed it is there, the same', async () => {
    const keys = [first];
    const tokens = createSyncTokens(keyring(keys));
    const token = await tokens.issue(claims);
    expect(await tokens.read(token)).toEqual({ valid: true, claims, keyId: 1 });
    expect(await tokens.read(token)).toEqual({ valid: true, claims, keyId: 1 });
    // The same id with another secret (a key deleted and made again): the kept reading does not count.
    keys[0] = { id: 1, secret: Buffer.alloc(32, 7) };
    expect((await tokens.read(token)).valid).toBe(false);
    keys[0] = first;
    expect((await tokens.read(token)).valid).toBe(true);
    // The key deleted: refused, though it was found valid a moment ago.
    keys.length = 0;
    keys.push(second);
    expect(await tokens.read(token)).toMatchObject({ valid: false, why: expect.stringContaining('key 1') });
  });

  it('admits a kept token at once only while its key is the newest, the same, and the keys need no read', async () => {
    const keys = [first];
    const tokens = createSyncTokens(keyring(keys));
    const token = await tokens.issue(claims);
    // Never checked yet: the long way first.
    expect(tokens.readKept(token)).toBeNull();
    await tokens.read(token);
    expect(tokens.readKept(token)).toEqual({ reading: { valid: true, claims, keyId: 1 }, renewed: token });
    // A newer key: renew must sign again, which the kept path does not do.
    keys.push(second);
    expect(tokens.readKept(token)).toBeNull();
    keys.pop();
    // The same id with another secret: not kept any more.
    keys[0] = { id: 1, secret: Buffer.alloc(32, 7) };
    expect(tokens.readKept(token)).toBeNull();
    keys[0] = first;
    expect(tokens.readKept(token)).not.toBeNull();
    // Keys past their cache time: they are read again first (read, renew), so nothing is kept without that read.
    const stale = createSyncTokens(keyring([first], false));
    await stale.read(token);
    expect(stale.readKept(token)).toBeNull();
  });

  it('refuses what it did not sign', async () => {
    const tokens = createSyncTokens(keyring([first]));
    const token = await tokens.issue(claims);
    const [v, k, payload, mac] = token.split('.') as [string, string, string, string];
    const forged = Buffer.from(JSON.stringify({ t: 'produto', l: null, b: '5', i: 'AbCdEfGhIjKlMnOpQrStUv' })).toString('base64url');
    for (const bad of [null, '', 'x', `${v}.${k}.${forged}.${mac}`, `${v}.${k}.${payload}.${mac.slice(1)}A`, `v2.${k}.${payload}.${mac}`, `${token}.`, 'v1.1.a.' + 'A'.repeat(43), token.repeat(8)]) {
      expect((await tokens.read(bad)).valid, String(bad)).toBe(false);
    }
    expect((await createSyncTokens(keyring([{ id: 1, secret: Buffer.alloc(32, 9) }])).read(token)).valid).toBe(false);
  });
});

describeBackends('a fleet on mixed versions: pull contract 1 (no Sync-Contract header) during a rollout', (backend) => {
  for (const acceptV1 of [true, false]) {
    it(`PULL_CONTRACT_V1=${acceptV1}: an older pull-service ${acceptV1 ? 'is served deltas as before' : 'gets reset-required until it is upgraded'}`, async () => {
      const rig = await startDeltasRig(backend, { PULL_CONTRACT_V1: acceptV1 });
      try {
        await insertOperadores(rig, [1, 2]);
        const { snapshotVersion } = await rig.snapshotAll('operador', { limit: 10 });
        await insertOperadores(rig, [3]);
        // Without the header, and without a token: what a daemon released before the Sync-Token sends.
        const old = await rig.get(`/v1/changes?table=operador&since=${snapshotVersion}`, { syncToken: null, headers: { 'sync-contract': '' } });
        if (acceptV1) {
          expect(old.status, old.text).toBe(200);
          expect((old.json as ChangesPage).changes.map((change) => change.key.operador_id)).toEqual([3]);
        } else {
          expect(old.status).toBe(410);
          expect(old.json).toMatchObject({ reason: 'initial-data' });
        }
        // Today's client (Sync-Contract: 2) must prove its initial data either way.
        const current = await rig.get(`/v1/changes?table=operador&since=${snapshotVersion}`, { syncToken: null });
        expect(current.status).toBe(410);
      } finally {
        await rig.close();
      }
    });
  }
});
