import type { Queryable } from '@goldpdv/core';

export interface PdvProgress {
  pdvId: string;
  rowsPulled: number;
  /**
   * Central changes the PDV has not applied yet: entries of the change log at or above its checkpoint of their
   * table (of its own loja, for a table filtered by loja), plus deletes held back because local rows still
   * referred to the deleted row. Per table: after a wait that named one table, pull-service reads only that one,
   * and the checkpoints of the quiet tables stay where they are.
   */
  changesBehind: number;
  eventsPushed: number;
  eventsPending: number;
  deadLetters: number;
}

/** The sample's tables that central serves per loja, on their `loja_id` key column (served-tables.sample.json). */
const FILTERED_BY_LOJA = ['preco_loja', 'estoque'];

/** Figures of one PDV, read from its own database and the central change log. */
export async function readPdvProgress(pdvId: string, lojaId: number, pdv: Queryable, central: Queryable, trackedTables: number): Promise<PdvProgress> {
  const local = await pdv.query<{ pulled: string | null; checkpoints: string; versions: unknown; held_deletes: string; pushed: string; pending: string; dead: string }>(`
SELECT (SELECT sum(rows_applied) FROM sync_checkpoint) AS pulled,
       (SELECT count(*) FROM sync_checkpoint) AS checkpoints,
       (SELECT json_agg(json_build_object('table_name', table_name, 'version', version)) FROM sync_checkpoint) AS versions,
       (SELECT count(*) FROM sync_checkpoint WHERE pending_deletes IS NOT NULL AND pending_deletes NOT IN ('', '[]')) AS held_deletes,
       (SELECT count(*) FROM sync_outbox WHERE sent_at IS NOT NULL) AS pushed,
       (SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL) AS pending,
       (SELECT count(*) FROM sync_dead_letter) AS dead`).catch(() => null);
  const row = local?.rows[0];
  if (!row) return { pdvId, rowsPulled: 0, changesBehind: NaN, eventsPushed: 0, eventsPending: 0, deadLetters: 0 };
  // Sales captured by the triggers but not yet built into events are pending too. A PDV whose daemons come from a
  // release before the capture table (--daemons-from) has none: its sales go to the outbox directly.
  const captured = await pdv
    .query<{ n: string }>('SELECT count(*) AS n FROM sync_capture')
    .then((result) => Number(result.rows[0]!.n))
    .catch(() => 0);
  // Until every table has a checkpoint, the PDV is behind by the whole log.
  const behind =
    Number(row.checkpoints) < trackedTables
      ? await central.query<{ n: string }>('SELECT count(*) AS n FROM sync_change_log')
      : await central.query<{ n: string }>(
          `SELECT count(*) AS n
FROM sync_change_log AS c
JOIN jsonb_to_recordset($1::jsonb) AS cp (table_name text, version bigint) ON cp.table_name = c.table_name
WHERE c.txid::text::bigint >= cp.version AND (c.table_name <> ALL ($2::text[]) OR (c.pk ->> 'loja_id')::bigint = $3)`,
          [JSON.stringify(typeof row.versions === 'string' ? JSON.parse(row.versions) : row.versions), FILTERED_BY_LOJA, lojaId],
        );
  return {
    pdvId,
    rowsPulled: Number(row.pulled ?? 0),
    changesBehind: Number(behind.rows[0]!.n) + Number(row.held_deletes),
    eventsPushed: Number(row.pushed),
    eventsPending: Number(row.pending) + captured,
    deadLetters: Number(row.dead),
  };
}

export function renderStatusLine(elapsedS: number, progress: readonly PdvProgress[], sales: number, catalogRounds: number): string {
  const parts = progress.map(
    (p) => `${p.pdvId}: pulled ${p.rowsPulled} rows, ${Number.isNaN(p.changesBehind) ? '?' : p.changesBehind} behind | pushed ${p.eventsPushed}, pending ${p.eventsPending}${p.deadLetters ? `, DEAD ${p.deadLetters}` : ''}`,
  );
  return `[${elapsedS.toFixed(0).padStart(3)}s] catalog edits ${catalogRounds}, sales ${sales} || ${parts.join(' || ')}`;
}
