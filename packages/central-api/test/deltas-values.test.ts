import { changesPageSchema, snapshotPageSchema } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { declaredTable, sampleDeclarationWith, startDeltasRig, type DeltasRig } from './deltas-harness.js';

/** A table with one column of every contract type, tracked like the catalog tables. */
const TIPOS_DDL = {
  postgres: `
    CREATE TABLE tipos (id bigint PRIMARY KEY, valor numeric(18,4), momento timestamp(6), instante timestamptz(6), dia date,
      hora time(6), codigo uuid, ativo boolean, dados bytea, texto varchar(200), inteiro integer, real8 double precision, fixo char(5));
    SELECT sync_enable_tracking('tipos', ARRAY['id']);`,
  mssql: `
    CREATE TABLE dbo.tipos (id bigint NOT NULL PRIMARY KEY, valor decimal(18,4) NULL, momento datetime2(7) NULL, instante datetimeoffset(7) NULL,
      dia date NULL, hora time(7) NULL, codigo uniqueidentifier NULL, ativo bit NULL, dados varbinary(max) NULL, texto nvarchar(200) NULL,
      inteiro int NULL, real8 float NULL, fixo char(5) NULL);
    ALTER TABLE dbo.tipos ENABLE CHANGE_TRACKING;`,
};

const BIG_ID = '9007199254740993'; // 2^53 + 1: not exact as a JS number
const BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const TEXT = 'Pão de açúcar, maçã e café ☕ 🍞 — ção';

/** What each dialect stores and serves: PostgreSQL keeps microseconds and UTC, SQL Server 100 ns and the offset. */
const EXPECTED_TIMES = {
  postgres: { momento: '2026-11-30T10:15:00.123456', instante: '2026-11-30T13:15:00.123456+00:00', hora: '10:15:00.123456' },
  mssql: { momento: '2026-11-30T10:15:00.1234560', instante: '2026-11-30T10:15:00.1234560-03:00', hora: '10:15:00.1234560' },
};

describeBackends('values keep their exact meaning on the wire', (backend) => {
  let rig: DeltasRig;
  let since: string;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { SERVED_TABLES_FILE: sampleDeclarationWith(declaredTable('tipos', ['id', 'valor', 'momento', 'instante', 'dia', 'hora', 'codigo', 'ativo', 'dados', 'texto', 'inteiro', 'real8', 'fixo'])) });
    await rig.db.executeScript(TIPOS_DDL[rig.db.dialect]);
    since = await rig.checkpoint('tipos');
    await rig.exec(
      `INSERT INTO tipos (id, valor, momento, instante, dia, hora, codigo, ativo, dados, texto, inteiro, real8, fixo)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [BIG_ID, '1234567.8912', '2026-11-30T10:15:00.123456', '2026-11-30T10:15:00.123456-03:00', '2026-11-30', '10:15:00.123456',
        'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', true, BYTES, TEXT, -42, 0.1, 'ab'],
    );
    await rig.exec('INSERT INTO tipos (id) VALUES ($1)', ['2']);
    await rig.exec(
      `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, ncm, preco_base, custo, criado_em, atualizado_em)
       VALUES (1, '7891000100103', $1, 1, 'KG', NULL, $2, NULL, $3, $4)`,
      [TEXT, '0.0100', '2026-02-28T23:59:59.000001', '2026-02-28T23:59:59.5+00:00'],
    );
    await rig.exec(`INSERT INTO operador (operador_id, nome, login, inicio_turno) VALUES (1, $1, 'joao', '08:00:00')`, ['João']);
  });
  afterAll(async () => rig?.close());

  const expectedTipos = () => ({
    id: BIG_ID,
    valor: '1234567.8912',
    ...EXPECTED_TIMES[rig.db.dialect],
    dia: '2026-11-30',
    codigo: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    ativo: true,
    dados: BYTES.toString('base64'),
    texto: TEXT,
    inteiro: -42,
    real8: 0.1,
    fixo: 'ab   ',
  });
  const allNull = { valor: null, momento: null, instante: null, dia: null, hora: null, codigo: null, ativo: null, dados: null, texto: null, inteiro: null, real8: null, fixo: null };

  it('describes the columns with their contract types', async () => {
    const page = changesPageSchema.parse((await rig.get(`/v1/changes?table=tipos&since=${since}`)).json);
    expect(page.keyColumns).toEqual(['id']);
    expect(page.columns).toEqual([
      { name: 'id', type: 'bigint' }, { name: 'valor', type: 'decimal' }, { name: 'momento', type: 'timestamp' },
      { name: 'instante', type: 'timestamptz' }, { name: 'dia', type: 'date' }, { name: 'hora', type: 'time' },
      { name: 'codigo', type: 'uuid' }, { name: 'ativo', type: 'bool' }, { name: 'dados', type: 'binary' },
      { name: 'texto', type: 'string' }, { name: 'inteiro', type: 'int' }, { name: 'real8', type: 'float' }, { name: 'fixo', type: 'string' },
    ]);
  });

  it('serves every type exactly, and NULLs as null, in changes and in the snapshot alike', async () => {
    const { changes } = await rig.drainChanges('tipos', since);
    // In version order: the full row was written first.
    expect(changes).toEqual([
      { op: 'upsert', version: expect.any(String), key: { id: BIG_ID }, row: expectedTipos() },
      { op: 'upsert', version: expect.any(String), key: { id: '2' }, row: { id: '2', ...allNull } },
    ]);
    const byId = new Map(changes.map((c) => [c.key.id, c]));
    expect(byId.get(BIG_ID)).toMatchObject({ op: 'upsert', key: { id: BIG_ID }, row: expectedTipos() });
    expect(byId.get('2')).toMatchObject({ op: 'upsert', key: { id: '2' }, row: { id: '2', ...allNull } });

    const snapshot = snapshotPageSchema.parse((await rig.get('/v1/snapshot?table=tipos')).json);
    expect(snapshot.rows).toEqual([{ id: '2', ...allNull }, expectedTipos()]);
  });

  it('keeps accents and emoji, microseconds, small decimals and NULLs of the catalog tables', async () => {
    const snapshot = snapshotPageSchema.parse((await rig.get('/v1/snapshot?table=produto')).json);
    const seventh = rig.db.dialect === 'mssql' ? '0' : '';
    expect(snapshot.rows).toEqual([
      expect.objectContaining({
        produto_id: 1,
        descricao: TEXT,
        ncm: null,
        preco_base: '0.0100',
        custo: null,
        imagem: null,
        ativo: true,
        criado_em: `2026-02-28T23:59:59.000001${seventh}`,
        atualizado_em: `2026-02-28T23:59:59.500000${seventh}+00:00`,
      }),
    ]);
    // time(0): no fraction at all.
    const operador = snapshotPageSchema.parse((await rig.get('/v1/snapshot?table=operador')).json);
    expect(operador.rows).toEqual([{ operador_id: 1, nome: 'João', login: 'joao', inicio_turno: '08:00:00', ativo: true }]);
  });

  it('a tombstone carries the key in the same form as the upsert did', async () => {
    const before = await rig.checkpoint('tipos');
    await rig.exec('DELETE FROM tipos WHERE id = $1', [BIG_ID]);
    const { changes } = await rig.drainChanges('tipos', before);
    expect(changes).toEqual([{ op: 'delete', version: expect.any(String), key: { id: BIG_ID } }]);
  });
});
