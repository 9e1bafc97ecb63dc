import type { Change, SyncRow } from '@goldpdv/core';
import type { DeltasRig } from './deltas-harness.js';

/** Catalog rows for the pull tests, written through the rig so that the same helpers serve every dialect. */

export async function insertProdutos(rig: DeltasRig, ids: readonly number[], descricao = (id: number) => `Produto ${id}`): Promise<void> {
  for (const id of ids) {
    await rig.exec(
      `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em)
       VALUES ($1, $2, $3, 1, 'UN', $4, $5, $6)`,
      [id, String(7890000000000 + id), descricao(id), '10.5000', '2026-01-01T08:00:00', '2026-01-01T08:00:00+00:00'],
    );
  }
}

/** Several products in one transaction, so that they share one version. */
export async function insertProdutosTogether(rig: DeltasRig, ids: readonly number[]): Promise<void> {
  await rig.db.transaction(async (tx) => {
    for (const id of ids) {
      const sql = `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, preco_base, criado_em, atualizado_em)
                   VALUES ($1, $2, $3, 1, 'UN', $4, $5, $6)`;
      await tx.query(rig.db.dialect === 'mssql' ? sql.replace(/\$(\d+)/g, '@p$1') : sql, [
        id, String(7890000000000 + id), `Produto ${id}`, '10.5000', '2026-01-01T08:00:00', '2026-01-01T08:00:00+00:00',
      ]);
    }
  });
}

export async function insertPreco(rig: DeltasRig, lojaId: number, produtoId: number, preco: string): Promise<void> {
  await rig.exec(
    'INSERT INTO preco_loja (loja_id, produto_id, preco, vigencia_inicio, atualizado_em) VALUES ($1, $2, $3, $4, $5)',
    [lojaId, produtoId, preco, '2026-01-01', '2026-01-01T08:00:00'],
  );
}

/** Applies changes to a replica the way a client does: upserts replace, deletes remove. */
export function applyChanges(replica: Map<string, SyncRow>, changes: readonly Change[]): void {
  for (const change of changes) {
    const id = JSON.stringify(change.key);
    if (change.op === 'delete') replica.delete(id);
    else replica.set(id, change.row);
  }
}

export const keyId = (key: SyncRow): string => JSON.stringify(key);

/**
 * Rows that were in a table before its changes were tracked: tracking is turned off, `write` runs, and tracking
 * is turned on again, as when Change Tracking is first enabled on a catalog that already holds data. On
 * PostgreSQL the table's minimum valid version stays as it was (0 on a fresh database), as on a SQL Server
 * database whose tracking was just turned on; SQL Server itself sets it to the version current at ENABLE.
 */
export async function writeUntracked(rig: DeltasRig, table: string, keyColumns: readonly string[], write: () => Promise<void>): Promise<void> {
  if (rig.db.dialect === 'mssql') {
    await rig.db.executeScript(`ALTER TABLE dbo.${table} DISABLE CHANGE_TRACKING;`);
    await write();
    await rig.db.executeScript(`ALTER TABLE dbo.${table} ENABLE CHANGE_TRACKING WITH (TRACK_COLUMNS_UPDATED = OFF);`);
    return;
  }
  await rig.db.executeScript(`DROP TRIGGER sync_track_change ON ${table};`);
  await write();
  await rig.exec(`SELECT sync_enable_tracking($1::regclass, $2::text[])`, [table, [...keyColumns]]);
}

/** What an operator runs after a restore or a failover that the database's own identity may not show. */
export async function markRestore(rig: DeltasRig, note: string): Promise<void> {
  if (rig.db.dialect === 'mssql') await rig.exec('EXEC dbo.sync_mark_restore @note = $1', [note]);
  else await rig.exec('SELECT sync_mark_restore($1)', [note]);
}
