import { randomBytes } from 'node:crypto';
import { applySchema, createPostgresDatabase, type Database } from '@goldpdv/core';
import type { Backend, TestDatabase } from '../../packages/core/test/support/backends.js';

/** Fresh PostgreSQL databases on the server of BENCH_PG_URL (or TEST_PG_URL), dropped at the end. */
export function postgresBackend(serverUrl: string): Backend & { dropAll(): Promise<void> } {
  const admin = createPostgresDatabase({ kind: 'postgres', connectionString: serverUrl, poolMax: 1, connectTimeoutMs: 10_000, requestTimeoutMs: 600_000 }, 'goldpdv-bench');
  const created: string[] = [];
  return {
    name: 'postgres',
    skipReason: null,
    async create(): Promise<TestDatabase> {
      const name = `gp_bench_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      const settings = { kind: 'postgres' as const, connectionString: url.toString(), poolMax: 4, connectTimeoutMs: 10_000, requestTimeoutMs: 600_000 };
      const db = createPostgresDatabase(settings, 'goldpdv-bench');
      return { db, settings, url: url.toString(), dispose: () => db.close() };
    },
    async dropAll() {
      for (const name of created.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

export async function pdvDatabase(backend: Backend): Promise<TestDatabase> {
  const database = await backend.create();
  await applySchema(database.db, { role: 'pdv' });
  return database;
}

/** `count` products from `first` on, in one statement (the change-log trigger still fires per row). */
export async function insertProdutos(db: Database, first: number, count: number): Promise<void> {
  await db.query(
    `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, ncm, preco_base, custo, aliquota_icms, ativo, criado_em, atualizado_em)
     SELECT g, (7890000000000 + g)::text, 'Produto ' || g || ' — pão de açúcar', 1 + g % 3, 'UN', '22030000', (g * 1.2345)::numeric(18,4),
            (g * 0.5)::numeric(18,4), 18.0000, g % 2 = 0, '2026-11-30T10:15:00.123456'::timestamp, '2026-11-30T10:15:00.654321-03:00'::timestamptz
     FROM generate_series($1::int, $2::int) AS g`,
    [first, first + count - 1],
  );
}

export async function countOf(db: Database, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await db.query<{ n: string | number }>(sql, params)).rows[0]!.n);
}
