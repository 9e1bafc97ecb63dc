import {
  COLUMN_TYPES,
  RESET_REQUIRED_TYPE,
  changesPageSchema,
  resetRequiredSchema,
  snapshotPageSchema,
  tablesResponseSchema,
  type ChangesPage,
  type SnapshotPage,
} from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { cleanupChangeLog } from '../src/deltas/index.js';
import { declaredTable, sampleDeclarationWith, startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { insertPreco, insertProdutos } from './deltas-fixtures.js';
import { PDVS } from './support/central-harness.js';
import type { RawResponse } from './support/http-client.js';
import { expectMatchesOpenApi } from './support/openapi.js';

/**
 * The pull side of openapi.yaml (GET /v1/tables, /v1/changes, /v1/snapshot) checked against real answers of
 * the real server on a real database: status, content type, required headers and body, through the same
 * check as the ingest tests. Bodies are also parsed with the zod contract, so the document and the contract
 * are seen to accept the same answers; the last cases show that the document refuses what it should.
 */

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** A table with a column of every contract type, tracked like the catalog tables. */
const TIPOS_DDL = {
  postgres: `
    CREATE TABLE tipos (id bigint PRIMARY KEY, valor numeric(18,4), momento timestamp(6), instante timestamptz(6), dia date,
      hora time(6), codigo uuid, ativo boolean, dados bytea, texto varchar(200), inteiro integer, real8 double precision);
    SELECT sync_enable_tracking('tipos', ARRAY['id']);`,
  mssql: `
    CREATE TABLE dbo.tipos (id bigint NOT NULL PRIMARY KEY, valor decimal(18,4) NULL, momento datetime2(7) NULL, instante datetimeoffset(7) NULL,
      dia date NULL, hora time(7) NULL, codigo uniqueidentifier NULL, ativo bit NULL, dados varbinary(max) NULL, texto nvarchar(200) NULL,
      inteiro int NULL, real8 float NULL);
    ALTER TABLE dbo.tipos ENABLE CHANGE_TRACKING;`,
};
const BIG_ID = '9007199254740993'; // 2^53 + 1
// Large enough for the page to pass the 1 KiB gzip threshold.
const BYTES = Buffer.from(Array.from({ length: 2_048 }, (_, i) => i % 256));

/** GET through the rig, then the openapi.yaml check; the status and exact content type are asserted too. */
async function pull(rig: DeltasRig, path: string, status: number, options: { token?: string | null; headers?: Record<string, string>; syncToken?: string | null } = {}): Promise<RawResponse> {
  const response = await rig.get(path, options);
  expect(response.status, `${path}: ${response.text.slice(0, 300)}`).toBe(status);
  expect(response.headers['content-type']).toBe(status < 400 ? JSON_TYPE : PROBLEM_TYPE);
  expectMatchesOpenApi('GET', path, response);
  return response;
}

/** A copy of a real answer with another body (or status, or content type), to show what the check refuses. */
function altered(response: RawResponse, json: unknown, changes: { status?: number; contentType?: string } = {}): RawResponse {
  const text = JSON.stringify(json);
  const headers = { ...response.headers, 'content-type': changes.contentType ?? response.headers['content-type'] };
  delete headers['content-encoding'];
  return { status: changes.status ?? response.status, headers, raw: Buffer.from(text), text, json };
}

describeBackends('openapi.yaml describes the pull answers', (backend) => {
  let rig: DeltasRig;
  let tiposSince: string;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { SERVED_TABLES_FILE: sampleDeclarationWith(declaredTable('tipos', ['id', 'valor', 'momento', 'instante', 'dia', 'hora', 'codigo', 'ativo', 'dados', 'texto', 'inteiro', 'real8'])) });
    await rig.db.executeScript(TIPOS_DDL[rig.db.dialect]);
    tiposSince = await rig.checkpoint('tipos');
    await rig.exec(
      `INSERT INTO tipos (id, valor, momento, instante, dia, hora, codigo, ativo, dados, texto, inteiro, real8)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [BIG_ID, '1234567.8912', '2026-11-30T10:15:00.123456', '2026-11-30T10:15:00.123456-03:00', '2026-11-30', '10:15:00.123456',
        'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', true, BYTES, 'Pão de açúcar', -42, 0.1],
    );
    await rig.exec('INSERT INTO tipos (id) VALUES ($1)', ['2']);
    await rig.exec('INSERT INTO tipos (id, texto) VALUES ($1, $2)', ['3', 'apagado']);
    await rig.exec('DELETE FROM tipos WHERE id = $1', ['3']);
  });
  afterAll(async () => rig?.close());

  it('GET /v1/tables', async () => {
    const response = await pull(rig, '/v1/tables', 200);
    const body = tablesResponseSchema.parse(response.json);
    expect(body.tables.find((t) => t.table === 'preco_loja')).toEqual({ table: 'preco_loja', keyColumns: ['loja_id', 'produto_id'], filtered: true });
    expect(body.tables.find((t) => t.table === 'tipos')).toEqual({ table: 'tipos', keyColumns: ['id'], filtered: false });
  });

  it('GET /v1/changes: upserts and a tombstone, every column type, gzip-compressed', async () => {
    const response = await pull(rig, `/v1/changes?table=tipos&since=${tiposSince}`, 200, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.headers['content-encoding']).toBe('gzip');
    const page = changesPageSchema.parse(response.json);
    expect(page).toMatchObject({ table: 'tipos', sinceVersion: tiposSince, keyColumns: ['id'], hasMore: false, nextCursor: null });
    expect(new Set(page.columns.map((column) => column.type))).toEqual(new Set(COLUMN_TYPES));
    expect(page.changes.map((change) => [change.op, change.key.id])).toEqual([['upsert', BIG_ID], ['upsert', '2'], ['delete', '3']]);
    const full = page.changes[0]!;
    if (full.op !== 'upsert') throw new Error('expected an upsert');
    expect(full.row).toMatchObject({ id: BIG_ID, valor: '1234567.8912', dia: '2026-11-30', ativo: true, inteiro: -42, real8: 0.1, dados: BYTES.toString('base64') });
    expect(page.changes[1]).toMatchObject({ op: 'upsert', row: { id: '2', valor: null, ativo: null, dados: null } });
    expect(page.changes[2]).toEqual({ op: 'delete', version: expect.any(String), key: { id: '3' } });
  });

  it('GET /v1/changes: a window in pages, hasMore true and then false, and a long poll that ends empty', async () => {
    const since = await rig.checkpoint('produto');
    await insertProdutos(rig, [1, 2, 3, 4, 5]);
    const pages: ChangesPage[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ table: 'produto', since, limit: '2' });
      if (cursor) query.set('cursor', cursor);
      const page = changesPageSchema.parse((await pull(rig, `/v1/changes?${query}`, 200)).json);
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(pages.map((page) => [page.changes.length, page.hasMore])).toEqual([[2, true], [2, true], [1, false]]);
    expect(new Set(pages.map((page) => page.toVersion)).size).toBe(1);
    const checkpoint = pages[0]!.toVersion;
    expect(BigInt(checkpoint)).toBeGreaterThan(BigInt(since));

    const quiet = changesPageSchema.parse((await pull(rig, `/v1/changes?table=produto&since=${checkpoint}&wait=300`, 200)).json);
    expect(quiet).toMatchObject({ sinceVersion: checkpoint, changes: [], hasMore: false, nextCursor: null });
    expect(BigInt(quiet.toVersion)).toBeGreaterThanOrEqual(BigInt(checkpoint));
  });

  it('GET /v1/changes on a filtered table: upserts and deletes of the own loja only (the filter column is in the key)', async () => {
    await insertProdutos(rig, [201, 202]);
    const since = await rig.checkpoint('preco_loja');
    await rig.checkpoint('preco_loja', PDVS.b.token);
    await insertPreco(rig, 1, 201, '9.9000');
    await insertPreco(rig, 2, 201, '8.8000');
    await insertPreco(rig, 2, 202, '7.7000');
    await rig.exec('DELETE FROM preco_loja WHERE loja_id = $1 AND produto_id = $2', [2, 202]);
    const seen = async (token: string) => {
      const page = changesPageSchema.parse((await pull(rig, `/v1/changes?table=preco_loja&since=${since}`, 200, { token })).json);
      return page.changes.map((change) => [change.op, change.key.loja_id, change.key.produto_id]);
    };
    expect(await seen(PDVS.a.token)).toEqual([['upsert', 1, 201]]);
    expect(await seen(PDVS.b.token)).toEqual([['upsert', 2, 201], ['delete', 2, 202]]);
  });

  it('GET /v1/snapshot: pages of rows of every column type, one snapshotVersion', async () => {
    const first = snapshotPageSchema.parse((await pull(rig, '/v1/snapshot?table=tipos&limit=1', 200)).json);
    expect(first).toMatchObject({ table: 'tipos', keyColumns: ['id'], hasMore: true, nextCursor: expect.any(String) });
    expect(first.rows).toHaveLength(1);
    const last = snapshotPageSchema.parse((await pull(rig, `/v1/snapshot?table=tipos&limit=1&cursor=${first.nextCursor}`, 200)).json);
    expect(last).toMatchObject({ snapshotVersion: first.snapshotVersion, hasMore: false, nextCursor: null });
    expect([...first.rows, ...last.rows].map((row) => row.id).sort()).toEqual(['2', BIG_ID]);

    const prices = snapshotPageSchema.parse((await pull(rig, '/v1/snapshot?table=preco_loja', 200, { token: PDVS.b.token })).json);
    expect(prices.rows.map((row) => [row.loja_id, row.produto_id])).toEqual([[2, 201]]);
  });

  it.each([
    ['/v1/changes?table=produto&since=abc', 'since'],
    ['/v1/changes?table=produto', 'since'],
    ['/v1/changes?table=produto&since=99999999999999999999', 'since'],
    ['/v1/changes?table=produto&since=0&limit=0', 'limit'],
    ['/v1/changes?table=produto&since=0&limit=5001', 'limit'],
    ['/v1/changes?table=produto&since=0&wait=-1', 'wait'],
    ['/v1/changes?table=produto&since=0&cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ['/v1/changes?table=Produto&since=0', 'table'],
    ['/v1/snapshot?table=produto&limit=abc', 'limit'],
    ['/v1/snapshot', 'table'],
  ])('400 for %s (field %s)', async (path, field) => {
    const response = await pull(rig, path, 400);
    expect(response.json).toMatchObject({ type: 'urn:goldpdv:problem:invalid-request', status: 400, field });
  });

  it('410 for GET /v1/changes without the Sync-Token of a snapshot, and the snapshot\'s last page hands one', async () => {
    const refused = await pull(rig, '/v1/changes?table=produto&since=0', 410, { syncToken: null });
    expect(resetRequiredSchema.parse(refused.json)).toMatchObject({ table: 'produto', sinceVersion: '0' });
    expect(refused.json).toMatchObject({ reason: 'initial-data' });
    const last = await pull(rig, '/v1/snapshot?table=produto&limit=5000', 200);
    expect(last.headers['sync-token']).toMatch(/^v1\./);
  });

  it.each(['/v1/changes?table=nao_existe&since=0', '/v1/snapshot?table=nao_existe'])('404 for an unknown table: %s', async (path) => {
    const response = await pull(rig, path, 404);
    expect(response.json).toMatchObject({ type: 'urn:goldpdv:problem:not-found', status: 404, field: 'table' });
  });

  it.each(['/v1/tables', '/v1/changes?table=produto&since=0', '/v1/snapshot?table=produto'])('401 without a token, and with an unknown one: %s', async (path) => {
    const missing = await pull(rig, path, 401, { token: null });
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="goldpdv-central"');
    const unknown = await pull(rig, path, 401, { token: 'token-loja09-pdv09-unknown-zzzz' });
    expect(unknown.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(unknown.json).toMatchObject({ type: 'urn:goldpdv:problem:unauthorized', status: 401 });
  });

  it('the check refuses answers that drift from the document', async () => {
    const changes = await pull(rig, `/v1/changes?table=tipos&since=${tiposSince}`, 200);
    const page = changes.json as ChangesPage;
    const [upsert, , tombstone] = page.changes as [ChangesPage['changes'][number], unknown, ChangesPage['changes'][number]];
    const refused = (response: RawResponse, path = `/v1/changes?table=tipos&since=${tiposSince}`) =>
      expect(() => expectMatchesOpenApi('GET', path, response)).toThrow(/openapi\.yaml|content-type|status/);

    // Also outside the zod contract.
    const offContract: unknown[] = [
      { ...page, toVersion: Number(page.toVersion) },
      { ...page, sinceVersion: '-1' },
      { ...page, keyColumns: [] },
      { ...page, columns: [{ name: 'id', type: 'money' }] },
      { ...page, changes: [{ ...upsert, op: 'update' }] },
      { ...page, changes: [{ op: 'upsert', version: upsert.version, key: upsert.key }] },
      { ...page, changes: [{ ...upsert, row: { id: { value: 1 } } }] },
      { ...page, hasMore: 'no' },
    ];
    for (const body of offContract) {
      expect(changesPageSchema.safeParse(body).success, JSON.stringify(body).slice(0, 200)).toBe(false);
      refused(altered(changes, body));
    }
    // Within what zod lets through (it strips unknown members), but not what the server sends.
    refused(altered(changes, { ...page, extra: true }));
    refused(altered(changes, { ...page, changes: [{ ...tombstone, row: {} }] }));
    refused(altered(changes, { ...page, hasMore: true, nextCursor: null }));
    // A documented body under an undocumented status or media type.
    refused(altered(changes, page, { status: 418 }));
    refused(altered(changes, page, { contentType: 'text/plain' }));
    refused(altered(changes, { type: RESET_REQUIRED_TYPE, title: 'Reset required', status: 410, table: 'tipos', minValidVersion: 7, sinceVersion: '1' }, { status: 410, contentType: PROBLEM_TYPE }));
    refused(altered(changes, { type: 'urn:goldpdv:problem:not-found', title: 'Not found', status: 404, field: 'since' }, { status: 404, contentType: PROBLEM_TYPE }));

    const snapshot = await pull(rig, '/v1/snapshot?table=tipos', 200);
    const { snapshotVersion: _dropped, ...withoutVersion } = snapshot.json as SnapshotPage;
    refused(altered(snapshot, withoutVersion), '/v1/snapshot?table=tipos');
    const tables = await pull(rig, '/v1/tables', 200);
    refused(altered(tables, { tables: [{ table: 'produto', keyColumns: [], filtered: false }] }), '/v1/tables');
  });
});

// Forcing a reset takes the PostgreSQL change-log retention; SQL Server's Change Tracking cleans up on its own.
describeBackends(
  'openapi.yaml describes the 410 reset-required answers',
  (backend) => {
    let rig: DeltasRig;
    beforeAll(async () => {
      rig = await startDeltasRig(backend);
    });
    afterAll(async () => rig?.close());

    it('GET /v1/changes and an unfinished GET /v1/snapshot past retention, then the recovery', async () => {
      const since = await rig.checkpoint('produto');
      await insertProdutos(rig, [1, 2, 3]);
      const first = snapshotPageSchema.parse((await pull(rig, '/v1/snapshot?table=produto&limit=1', 200)).json);
      await insertProdutos(rig, [4]);
      expect((await cleanupChangeLog(rig.db, { cutoff: new Date(Date.now() + 60_000) })).deleted).toBeGreaterThan(0);

      const gone = resetRequiredSchema.parse((await pull(rig, `/v1/changes?table=produto&since=${since}`, 410)).json);
      expect(gone).toMatchObject({ type: RESET_REQUIRED_TYPE, status: 410, table: 'produto', sinceVersion: since });
      expect(BigInt(gone.minValidVersion)).toBeGreaterThan(BigInt(since));

      const stale = resetRequiredSchema.parse((await pull(rig, `/v1/snapshot?table=produto&limit=1&cursor=${first.nextCursor}`, 410)).json);
      expect(stale).toMatchObject({ table: 'produto', sinceVersion: first.snapshotVersion, minValidVersion: gone.minValidVersion });

      const fresh = snapshotPageSchema.parse((await pull(rig, '/v1/snapshot?table=produto', 200)).json);
      expect(fresh.rows).toHaveLength(4);
      changesPageSchema.parse((await pull(rig, `/v1/changes?table=produto&since=${fresh.snapshotVersion}`, 200)).json);
    });
  },
  ['pglite', 'postgres'],
);
