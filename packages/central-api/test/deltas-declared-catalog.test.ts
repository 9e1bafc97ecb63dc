import { TABLE_PAUSED_TYPE, tablePausedSchema, tablesResponseSchema, type SnapshotPage } from '@goldpdv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import type { DeclaredTable } from '../src/deltas/declaration/served-tables-declaration.js';
import { PDVS } from './support/central-harness.js';
import { expectMatchesOpenApi } from './support/openapi.js';
import { declaredTable, sampleDeclarationWith, startDeltasRig, type DeltasRig } from './deltas-harness.js';

/**
 * An adopter's catalog, deliberately unlike the sample: schema cad, PascalCase names, a table name with a space
 * and an accent, a reserved word as a column name, a binary column whose name has spaces and a quote, and a
 * Segredo column in each table that is never declared and so must never leave the central database.
 */
const DDL = {
  postgres: [
    `CREATE SCHEMA cad;
     CREATE TABLE cad."Produto" ("CodProduto" integer PRIMARY KEY, "Descricao" varchar(100) NOT NULL, "Order" integer,
       "Segredo" varchar(20), "Foto do ""Produto""" bytea);
     SELECT sync_enable_tracking('cad."Produto"'::regclass, ARRAY['CodProduto']);
     CREATE TABLE cad."Tabela de Preço" ("CodLoja" integer NOT NULL, "CodProduto" integer NOT NULL, "Preço" numeric(18,4),
       "Segredo" varchar(20), PRIMARY KEY ("CodLoja", "CodProduto"));
     SELECT sync_enable_tracking('cad."Tabela de Preço"'::regclass, ARRAY['CodLoja', 'CodProduto']);
     CREATE TABLE cad."Sem Rastreio" (id integer PRIMARY KEY);`,
  ],
  mssql: [
    `EXEC(N'CREATE SCHEMA cad');`,
    `CREATE TABLE cad.[Produto] ([CodProduto] int NOT NULL PRIMARY KEY, [Descricao] nvarchar(100) NOT NULL, [Order] int NULL,
       [Segredo] varchar(20) NULL, [Foto do "Produto"] varbinary(max) NULL);
     ALTER TABLE cad.[Produto] ENABLE CHANGE_TRACKING;
     CREATE TABLE cad.[Tabela de Preço] ([CodLoja] int NOT NULL, [CodProduto] int NOT NULL, [Preço] decimal(18,4) NULL,
       [Segredo] varchar(20) NULL, CONSTRAINT PK_TabelaDePreco PRIMARY KEY ([CodLoja], [CodProduto]));
     ALTER TABLE cad.[Tabela de Preço] ENABLE CHANGE_TRACKING;
     CREATE TABLE cad.[Sem Rastreio] (id int NOT NULL PRIMARY KEY);`,
  ],
};

const PRODUTO: DeclaredTable = {
  table: 'produto_cad',
  source: { schema: 'cad', name: 'Produto' },
  columns: [
    { source: 'CodProduto', name: 'codigo' },
    { source: 'Descricao', name: 'descricao' },
    { source: 'Order', name: 'Order' },
    { source: 'Foto do "Produto"', name: 'foto' },
  ],
  rowFilter: null,
};

const PRECO: DeclaredTable = {
  table: 'preco_cad',
  source: { schema: 'cad', name: 'Tabela de Preço' },
  columns: [{ source: 'CodLoja', name: 'loja' }, { source: 'CodProduto', name: 'produto' }, { source: 'Preço', name: 'preco' }],
  rowFilter: 'CodLoja',
};

/** Declared, and each wrong in its own way: these pause while the tables above serve. */
const BROKEN: DeclaredTable[] = [
  declaredTable('cad.[Sem Rastreio]', ['id'], null, 'sem_rastreio'),
  declaredTable('cad.Sumida', ['id'], null, 'sumida'),
  declaredTable('produto', ['produto_id', 'nao_existe'], null, 'produto_coluna_sumida'),
  declaredTable('produto', ['descricao'], null, 'produto_sem_chave'),
  declaredTable('preco_loja', ['loja_id', 'produto_id'], 'filial_id', 'preco_filtro_sumido'),
];

const FOTO = Buffer.from([0, 1, 2, 250, 255]);

describeBackends('a declared catalog in another schema (SERVED_TABLES_FILE)', (backend) => {
  let rig: DeltasRig;
  let produtoSince: string;
  let precoSinceA: string;
  let precoSinceB: string;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { SERVED_TABLES_FILE: sampleDeclarationWith(PRODUTO, PRECO, ...BROKEN) });
    for (const script of DDL[rig.db.dialect]) await rig.db.executeScript(script);
    await rig.exec(`INSERT INTO cad.${rig.db.dialect === 'mssql' ? '[Produto] ([CodProduto], [Descricao], [Order], [Segredo], [Foto do "Produto"])' : '"Produto" ("CodProduto", "Descricao", "Order", "Segredo", "Foto do ""Produto""")'} VALUES (1, $1, 7, 'cpf-1', $2)`, ['Café', FOTO]);
    produtoSince = await rig.checkpoint('produto_cad');
    precoSinceA = await rig.checkpoint('preco_cad', PDVS.a.token);
    precoSinceB = await rig.checkpoint('preco_cad', PDVS.b.token);
  });
  afterAll(async () => rig?.close());

  const q = (name: string) => (rig.db.dialect === 'mssql' ? `[${name}]` : `"${name}"`);

  it('lists only the servable tables, with their contract names and key columns', async () => {
    const response = await rig.get('/v1/tables');
    expect(response.status).toBe(200);
    const tables = tablesResponseSchema.parse(response.json).tables;
    expect(tables.find((t) => t.table === 'produto_cad')).toEqual({ table: 'produto_cad', keyColumns: ['codigo'], filtered: false });
    expect(tables.find((t) => t.table === 'preco_cad')).toEqual({ table: 'preco_cad', keyColumns: ['loja', 'produto'], filtered: true });
    for (const broken of BROKEN) expect(tables.map((t) => t.table)).not.toContain(broken.table);
    expect(tables.map((t) => t.table)).toContain('produto');
  });

  it('logs one clear line per problem of the declaration', () => {
    const lines = rig.logs().filter((line) => typeof line.problem === 'string').map((line) => `${String(line.table)}: ${String(line.problem)}`);
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^sem_rastreio: not change-tracked: /),
      'sumida: table not found in the central database (names are compared exactly, case included)',
      'produto_coluna_sumida: declared column "nao_existe" does not exist',
      'produto_sem_chave: key column "produto_id" is not declared (key columns must be served)',
      'preco_filtro_sumido: filter column "filial_id" does not exist',
    ]));
    // Once each, not once per registry refresh (the test registry reads the catalog on every request).
    expect(lines.filter((line) => line.startsWith('sumida:'))).toHaveLength(1);
  });

  it('serves only the declared columns, under their contract names, in the snapshot', async () => {
    const page = (await rig.get('/v1/snapshot?table=produto_cad')).json as SnapshotPage;
    expect(page.keyColumns).toEqual(['codigo']);
    expect(page.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['codigo:int', 'descricao:string', 'Order:int', 'foto:binary']);
    expect(page.rows).toEqual([{ codigo: 1, descricao: 'Café', Order: 7, foto: FOTO.toString('base64') }]);
  });

  it('serves changes and tombstones without the undeclared column', async () => {
    const table = `cad.${q('Produto')}`;
    await rig.exec(`INSERT INTO ${table} (${q('CodProduto')}, ${q('Descricao')}, ${q('Segredo')}) VALUES (2, 'Pão', 'cpf-2')`);
    await rig.exec(`UPDATE ${table} SET ${q('Segredo')} = 'cpf-1b', ${q('Order')} = 8 WHERE ${q('CodProduto')} = 1`);
    await rig.exec(`DELETE FROM ${table} WHERE ${q('CodProduto')} = 2`);
    const { changes } = await rig.drainChanges('produto_cad', produtoSince, { limit: 1 });
    // Net changes in version order: the update of 1, then 2 (inserted and deleted) as a tombstone, key only.
    expect(changes.map((c) => (c.op === 'upsert' ? { op: c.op, key: c.key, row: c.row } : { op: c.op, key: c.key }))).toEqual([
      { op: 'upsert', key: { codigo: 1 }, row: { codigo: 1, descricao: 'Café', Order: 8, foto: FOTO.toString('base64') } },
      { op: 'delete', key: { codigo: 2 } },
    ]);
    expect(JSON.stringify(changes)).not.toContain('cpf');
    expect(JSON.stringify(changes)).not.toContain('Segredo');
  });

  it("filters by the declared column: each loja's PDVs get their own rows and tombstones", async () => {
    const table = `cad.${q('Tabela de Preço')}`;
    const insert = `INSERT INTO ${table} (${q('CodLoja')}, ${q('CodProduto')}, ${q('Preço')}, ${q('Segredo')}) VALUES ($1, $2, $3, 'x')`;
    await rig.exec(insert, [1, 1, '10.5000']);
    await rig.exec(insert, [2, 1, '11.5000']);
    await rig.exec(`DELETE FROM ${table} WHERE ${q('CodLoja')} = 2`);
    const a = await rig.drainChanges('preco_cad', precoSinceA, { token: PDVS.a.token });
    const b = await rig.drainChanges('preco_cad', precoSinceB, { token: PDVS.b.token });
    expect(a.changes.map((c) => ({ op: c.op, key: c.key, ...(c.op === 'upsert' ? { row: c.row } : {}) }))).toEqual([
      { op: 'upsert', key: { loja: 1, produto: 1 }, row: { loja: 1, produto: 1, preco: '10.5000' } },
    ]);
    expect(b.changes.map((c) => `${c.op}:${JSON.stringify(c.key)}`)).toEqual(['delete:{"loja":2,"produto":1}']);
    expect((await rig.snapshotAll('preco_cad', { token: PDVS.b.token })).rows).toEqual([]);
  });

  describe('a paused table', () => {
    it('is answered 409 table-paused with its reason, while the other tables serve', async () => {
      for (const path of ['/v1/snapshot?table=sem_rastreio', '/v1/changes?table=sem_rastreio&since=0']) {
        const response = await rig.get(path);
        expect(response.status).toBe(409);
        expectMatchesOpenApi('GET', path.split('?')[0]!, response);
        const problem = tablePausedSchema.parse(response.json);
        expect(problem).toMatchObject({ type: TABLE_PAUSED_TYPE, status: 409, table: 'sem_rastreio' });
        expect(problem.reason).toMatch(/^cad\.\[Sem Rastreio\]: not change-tracked: /);
      }
      expect((await rig.get('/v1/snapshot?table=produto_cad')).status).toBe(200);
      // A name nobody declared is still unknown.
      expect((await rig.get('/v1/snapshot?table=nada')).status).toBe(404);
    });

    it('pauses a table whose declared column is dropped centrally, and no other', async () => {
      await rig.db.executeScript(`ALTER TABLE cad.${q('Produto')} DROP COLUMN ${q('Order')};`);
      const response = await rig.get('/v1/snapshot?table=produto_cad');
      expect(response.status).toBe(409);
      expect(tablePausedSchema.parse(response.json).reason).toBe('cad.Produto: declared column "Order" does not exist');
      expect((await rig.get('/v1/snapshot?table=preco_cad')).status).toBe(200);
    });
  });
});
