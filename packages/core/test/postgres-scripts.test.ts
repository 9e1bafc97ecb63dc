import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPglite } from '../src/db/pglite-start.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSqlScript } from '../src/db/sql-script.js';

const COMMON = resolve(dirname(fileURLToPath(import.meta.url)), '../../../common');
type Role = 'central' | 'pdv';

/** The little this test needs from PGlite and from a pg client. */
interface Target {
  exec(sql: string): Promise<void>;
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

async function openPglite(): Promise<Target> {
  const db = await startPglite(null);
  return {
    exec: async (sql) => void (await db.exec(sql)),
    rows: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    close: () => db.close(),
  };
}

/** A new database on the TEST_PG_URL server, dropped on close. */
async function openServerDatabase(adminUrl: string): Promise<Target> {
  const name = `gp_test_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try { await client.query(sql); } finally { await client.end(); }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return {
    exec: async (sql) => void (await client.query(sql)),
    rows: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    close: async () => {
      await client.end();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

const scriptsOf = (dialectFolder: string, role: Role): string[] =>
  readdirSync(join(COMMON, dialectFolder, role)).filter((f) => /^\d{4}_\w+\.sql$/.test(f)).sort().map((f) => join(COMMON, dialectFolder, role, f));

async function applyAll(target: Target, role: Role): Promise<void> {
  for (const file of scriptsOf('postgres', role)) {
    for (const batch of (await loadSqlScript(file, { dialect: 'postgres' })).batches) await target.exec(batch);
  }
}

const CATALOG = ['categoria', 'produto', 'loja', 'preco_loja', 'cliente', 'forma_pagamento', 'operador', 'estoque'];
const TABLES: Record<Role, string[]> = {
  central: [...CATALOG, 'sync_change_log', 'sync_change_tracking', 'sync_settings', 'sync_pdv', 'sync_pdv_status', 'sync_inbox', 'sync_token_key', 'sync_restore_mark',
    'venda_central', 'venda_item_central', 'venda_pagamento_central', 'caixa_movimento_central', 'estoque_movimento',
    'sync_backoffice_client', 'sync_backoffice_request', 'estoque_documento',
    // central/0016_inbox_retention.sql
    'sync_inbox_purged'],
  pdv: [...CATALOG, 'caixa_sessao', 'caixa_movimento', 'venda', 'venda_item', 'venda_pagamento',
    'sync_outbox', 'sync_dead_letter', 'sync_checkpoint', 'sync_rejected_row', 'nfe_documento',
    // pdv/0011_event_capture.sql
    'sync_installation', 'sync_capture', 'sync_event_state', 'sync_capture_seed', 'sync_event_declaration', 'sync_reconciliation'],
};
const CATALOG_FKS = ['preco_loja -> loja', 'preco_loja -> produto', 'produto -> categoria', 'estoque -> loja', 'estoque -> produto'];
const FKS: Record<Role, string[]> = {
  central: [...CATALOG_FKS, 'sync_pdv -> loja', 'estoque_movimento -> loja', 'estoque_movimento -> produto', 'estoque_documento -> loja', 'venda_item_central -> venda_central', 'venda_pagamento_central -> venda_central'],
  // Sales reference only each other: a sale outlives a product deleted centrally.
  pdv: [...CATALOG_FKS, 'caixa_movimento -> caixa_sessao', 'venda -> caixa_sessao', 'venda_item -> venda', 'venda_pagamento -> venda', 'nfe_documento -> venda'],
};

interface Column { name: string; type: string; not_null: boolean }

const columnsOf = (t: Target, table: string) =>
  t.rows<Column>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
       FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  );

/**
 * The PostgreSQL type each SQL Server type must become. datetime2(3) holds the sync bookkeeping times, UTC on
 * SQL Server and timestamptz on PostgreSQL; datetime2(7) holds business times, timestamp(6) on PostgreSQL.
 */
function postgresTypeFor(sqlServerType: string): string {
  const [, base, arg] = /^(\w+)(?:\((.+)\))?$/.exec(sqlServerType.toLowerCase().replace(/\s+/g, ''))!;
  const types: Record<string, string | undefined> = {
    int: 'integer', bigint: 'bigint', bit: 'boolean', uniqueidentifier: 'uuid', date: 'date', money: 'numeric(19,4)',
    decimal: `numeric(${arg})`, char: `character(${arg})`, time: `time(${arg}) without time zone`,
    varchar: arg === 'max' ? 'text' : `character varying(${arg})`, nvarchar: arg === 'max' ? 'text' : `character varying(${arg})`,
    varbinary: arg === 'max' ? 'bytea' : undefined,
    // binary(n) is a fixed-length bytea; PostgreSQL checks the length with a CHECK constraint.
    smallint: 'smallint', binary: 'bytea', datetimeoffset: arg === '7' ? 'timestamp(6) with time zone' : undefined,
    datetime2: arg === '7' ? 'timestamp(6) without time zone' : arg === '3' ? 'timestamp with time zone' : undefined,
  };
  return types[base!] ?? `no mapping for ${sqlServerType}`;
}

/** Column lists of the SQL Server tables of a role, read from the scripts themselves. */
async function sqlServerTables(role: Role): Promise<Map<string, Column[]>> {
  const tables = new Map<string, Column[]>();
  for (const file of scriptsOf('mssql', role)) {
    const { text } = await loadSqlScript(file, { dialect: 'mssql' });
    for (const [, table, body] of text.matchAll(/CREATE TABLE dbo\.(\w+) \(([\s\S]*?)\n\);/g)) {
      const columns = [...body!.matchAll(/^\s*(\w+)\s+(\w+(?:\([^)]*\))?)(.*)$/gm)]
        .filter(([, name]) => name!.toUpperCase() !== 'CONSTRAINT')
        .map(([, name, type, rest]) => ({ name: name!, type: postgresTypeFor(type!), not_null: /\bNOT NULL\b|PRIMARY KEY/.test(rest!) }));
      tables.set(table!, columns);
    }
    // Later scripts add columns to existing tables: ALTER TABLE dbo.t ADD c type ... (one column per statement).
    for (const [, table, name, type, rest] of text.matchAll(/ALTER TABLE dbo\.(\w+) ADD (?!CONSTRAINT\b)(\w+) (\w+(?:\([^)]*\))?)(.*)/g)) {
      tables.get(table!)?.push({ name: name!, type: postgresTypeFor(type!), not_null: /\bNOT NULL\b/.test(rest!) });
    }
  }
  return tables;
}

function schemaSuite(open: () => Promise<Target>): void {
  for (const role of ['central', 'pdv'] as const) {
    describe(role, () => {
      let t: Target;
      beforeAll(async () => {
        t = await open();
        // Twice: a DBA may run the scripts again by hand, and nothing may fail or be duplicated.
        await applyAll(t, role);
        await applyAll(t, role);
      });
      afterAll(async () => t?.close());

      it('creates exactly the expected tables', async () => {
        const rows = await t.rows<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
        );
        expect(rows.map((r) => r.table_name).sort()).toEqual([...TABLES[role]].sort());
      });

      it('matches the SQL Server tables column for column, with the mapped types and nullability', async () => {
        const expected = await sqlServerTables(role);
        expect([...expected.keys()].sort()).toEqual(TABLES[role].filter((n) => !/^sync_(change_log|change_tracking|settings)$/.test(n)).sort());
        for (const [table, columns] of expected) expect({ table, columns: await columnsOf(t, table) }).toEqual({ table, columns });
      });

      it('has the money, precision and time types as specified', async () => {
        const produto = Object.fromEntries((await columnsOf(t, 'produto')).map((c) => [c.name, c.type]));
        expect(produto).toMatchObject({
          preco_base: 'numeric(18,4)', custo: 'numeric(18,4)', aliquota_icms: 'numeric(9,4)', peso_kg: 'numeric(12,4)',
          criado_em: 'timestamp(6) without time zone', atualizado_em: 'timestamp(6) with time zone', imagem: 'bytea', ativo: 'boolean',
        });
        const cliente = Object.fromEntries((await columnsOf(t, 'cliente')).map((c) => [c.name, c.type]));
        expect(cliente).toMatchObject({ cliente_id: 'uuid', limite_credito: 'numeric(19,4)', data_nascimento: 'date' });
        expect((await columnsOf(t, 'operador')).find((c) => c.name === 'inicio_turno')?.type).toBe('time(0) without time zone');
      });

      it('has the foreign keys as specified', async () => {
        const rows = await t.rows<{ fk: string }>(
          `SELECT conrelid::regclass::text || ' -> ' || confrelid::regclass::text AS fk FROM pg_constraint
            WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`,
        );
        expect(rows.map((r) => r.fk).sort()).toEqual([...FKS[role]].sort());
      });

      if (role === 'pdv') pdvChecks(() => t);
      else centralChecks(() => t);
    });
  }
}

function pdvChecks(target: () => Target): void {
  it('keeps outbox payloads as text and indexes the claim and the retention', async () => {
    const t = target();
    const outbox = Object.fromEntries((await columnsOf(t, 'sync_outbox')).map((c) => [c.name, c.type]));
    expect(outbox).toMatchObject({ payload: 'text', created_at: 'timestamp with time zone', event_id: 'uuid' });
    await t.exec(`INSERT INTO sync_outbox (event_id, event_type, stream_key, payload)
                  VALUES ('00000000-0000-4000-8000-000000000001', 'venda.finalizada', 'caixa:1', '{not json')`);
    const [row] = await t.rows<{ attempts: number; claim_count: number; due: boolean }>(
      `SELECT attempts, claim_count, next_attempt_at <= now() AS due FROM sync_outbox`,
    );
    expect(row).toEqual({ attempts: 0, claim_count: 0, due: true });
    const indexes = await t.rows<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'sync_outbox'`);
    expect(indexes.map((i) => i.indexname)).toEqual(expect.arrayContaining(['ix_sync_outbox_claim', 'ix_sync_outbox_stream', 'ix_sync_outbox_sent']));
  });

  it('starts a checkpoint with a snapshot and refuses an unknown mode', async () => {
    const t = target();
    await t.exec(`INSERT INTO sync_checkpoint (table_name) VALUES ('produto')`);
    expect(await t.rows(`SELECT version::int AS version, mode FROM sync_checkpoint`)).toEqual([{ version: 0, mode: 'snapshot' }]);
    await expect(t.exec(`UPDATE sync_checkpoint SET mode = 'full'`)).rejects.toThrow(/ck_sync_checkpoint_mode/);
  });

  it('does not track changes on the PDV replica', async () => {
    expect(await target().rows(`SELECT tgname FROM pg_trigger WHERE tgname = 'sync_track_change'`)).toEqual([]);
  });
}

function centralChecks(target: () => Target): void {
  const logOf = (t: Target, table: string, keyColumn: string, keys: string[]) =>
    t.rows<{ op: string; pk: Record<string, unknown>; txid: string }>(
      `SELECT op, pk, txid::text AS txid FROM sync_change_log WHERE table_name = $1 AND pk ->> $2 = ANY ($3) ORDER BY seq`,
      [table, keyColumn, keys],
    );

  it('registers every catalog table once, with its key columns', async () => {
    const rows = await target().rows<{ table_name: string; key_columns: string[] }>(
      `SELECT table_name, key_columns FROM sync_change_tracking ORDER BY table_name`,
    );
    expect(rows.map((r) => r.table_name)).toEqual([...CATALOG].sort());
    expect(rows.find((r) => r.table_name === 'preco_loja')?.key_columns).toEqual(['loja_id', 'produto_id']);
    const triggers = await target().rows(`SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'sync_track_change'`);
    expect(triggers).toHaveLength(CATALOG.length);
  });

  it('logs insert, update, key change and delete of a catalog row, versioned by transaction id', async () => {
    const t = target();
    await t.exec(`BEGIN;
      INSERT INTO categoria (categoria_id, nome) VALUES (9001, 'Bebidas');
      UPDATE categoria SET nome = 'Bebidas geladas' WHERE categoria_id = 9001;
      CREATE TEMP TABLE first_tx AS SELECT pg_current_xact_id()::text AS txid;
      COMMIT;`);
    await t.exec(`UPDATE categoria SET categoria_id = 9002 WHERE categoria_id = 9001`);
    await t.exec(`DELETE FROM categoria WHERE categoria_id = 9002`);

    const log = await logOf(t, 'categoria', 'categoria_id', ['9001', '9002']);
    expect(log.map(({ op, pk }) => [op, pk])).toEqual([
      ['I', { categoria_id: 9001 }],
      ['U', { categoria_id: 9001 }],
      ['D', { categoria_id: 9001 }],
      ['I', { categoria_id: 9002 }],
      ['D', { categoria_id: 9002 }],
    ]);
    const [{ txid: firstTx }] = (await t.rows<{ txid: string }>(`SELECT txid FROM first_tx`)) as [{ txid: string }];
    const txids = log.map((r) => BigInt(r.txid));
    expect(log[0]!.txid).toBe(firstTx);
    expect(log[1]!.txid).toBe(firstTx);
    expect(txids[2]).toBe(txids[3]); // the key change is one transaction
    expect(txids[2]! > txids[0]! && txids[4]! > txids[2]!).toBe(true);
  });

  it('logs composite and uuid keys as JSON of the key columns only', async () => {
    const t = target();
    const clienteId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    await t.exec(`
      INSERT INTO categoria (categoria_id, nome) VALUES (1, 'Mercearia');
      INSERT INTO loja (loja_id, nome, cnpj) VALUES (10, 'Loja Centro', '12345678000195');
      INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em)
        VALUES (500, '7891000100103', 'Açúcar cristal 1kg', 1, 'UN', 4.9900, '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456-03');
      INSERT INTO preco_loja (loja_id, produto_id, preco, vigencia_inicio, atualizado_em) VALUES (10, 500, 5.4900, '2024-01-01', now());
      INSERT INTO cliente (cliente_id, nome, criado_em) VALUES ('${clienteId}', 'José da Conceição', now());`);
    expect((await logOf(t, 'preco_loja', 'produto_id', ['500'])).map((r) => r.pk)).toEqual([{ loja_id: 10, produto_id: 500 }]);
    expect((await logOf(t, 'cliente', 'cliente_id', [clienteId])).map((r) => r.pk)).toEqual([{ cliente_id: clienteId }]);
  });

  it('keeps min_valid_version when tracking starts on a table that already has rows, as SQL Server does on a fresh database', async () => {
    const t = target();
    const minOf = async (table: string) =>
      (await t.rows<{ v: string }>(`SELECT min_valid_version::text AS v FROM sync_change_tracking WHERE table_name = $1`, [table]))[0]!.v;
    expect(await minOf('forma_pagamento')).toBe('0');
    await t.exec(`SELECT sync_enable_tracking('categoria', ARRAY['categoria_id'])`);
    expect(await minOf('categoria')).toBe('0');
    await t.exec(`DROP TRIGGER sync_track_change ON categoria;
                  INSERT INTO categoria (categoria_id, nome) VALUES (9100, 'Sem log');`);
    await t.exec(`SELECT sync_enable_tracking('categoria', ARRAY['categoria_id'])`);
    // Rows written before tracking began are not in the change log, and nothing raises the minimum: a client
    // must load them from a snapshot (central-api demands its Sync-Token before it serves deltas).
    expect(await minOf('categoria')).toBe('0');
    expect(await t.rows(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'categoria'::regclass AND tgname = 'sync_track_change'`)).toHaveLength(1);
    await expect(t.exec(`SELECT sync_enable_tracking('categoria', ARRAY['nope'])`)).rejects.toThrow(/no column named nope/);
  });

  it('keeps the retention setting, and a value changed by hand survives a re-run', async () => {
    const t = target();
    expect(await t.rows(`SELECT value FROM sync_settings WHERE name = 'change_retention_days'`)).toEqual([{ value: '7' }]);
    await t.exec(`UPDATE sync_settings SET value = '14' WHERE name = 'change_retention_days'`);
    await applyAll(t, 'central');
    expect(await t.rows(`SELECT value FROM sync_settings WHERE name = 'change_retention_days'`)).toEqual([{ value: '14' }]);
  });

  it('stores a PDV by token hash and dedupes the inbox on (pdv_id, event_id)', async () => {
    const t = target();
    const hash = 'a'.repeat(64);
    await t.exec(`INSERT INTO loja (loja_id, nome) VALUES (20, 'Loja Norte') ON CONFLICT DO NOTHING;
                  INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES ('pdv-01', 20, '${hash}')`);
    const insertEvent = `INSERT INTO sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload)
                         VALUES ('pdv-01', '00000000-0000-4000-8000-0000000000aa', 'venda.finalizada', 'caixa:1', '${hash}', '{}')`;
    await t.exec(insertEvent);
    await expect(t.exec(insertEvent)).rejects.toThrow(/pk_sync_inbox/);
    expect(await t.rows(`SELECT status FROM sync_inbox`)).toEqual([{ status: 'applied' }]);
  });
}

describe('PostgreSQL scripts on PGlite', () => schemaSuite(openPglite));

const serverUrl = process.env.TEST_PG_URL;
describe.skipIf(!serverUrl)(
  serverUrl ? 'PostgreSQL scripts on the TEST_PG_URL server' : 'PostgreSQL scripts on a server (skipped: TEST_PG_URL not set)',
  () => schemaSuite(() => openServerDatabase(serverUrl!)),
);
