import type { ChangesPage, SyncRow } from '@goldpdv/core';
import type { DeltasRig } from '../deltas-harness.js';

/**
 * A PDV reduced to what the pull contract asks of it: per table a checkpoint (version, a window's cursor and
 * end) and a replica of the rows, moved only by the pages it applies. Every page is checked as pull-service
 * checks it; a breach is recorded, not thrown, so that a model run reports all of them.
 */
export const MODEL_TABLES = ['produto', 'preco_loja'] as const;
export type ModelTable = (typeof MODEL_TABLES)[number];

interface ModelTableState {
  version: string;
  cursor: string | null;
  windowEnd: string | null;
  replica: Map<string, SyncRow>;
}

export class ModelPdv {
  readonly tables = {} as Record<ModelTable, ModelTableState>;
  /** Contract breaches seen in the pages applied. */
  readonly violations: string[] = [];
  /** Pages applied that continued a window (read with its cursor). */
  laterPages = 0;

  constructor(
    readonly name: string,
    readonly token: string,
    /** The page size this PDV asks for. */
    readonly limit: number,
  ) {}

  /** Starts every table from a whole snapshot, as a new PDV does. */
  async load(rig: DeltasRig): Promise<void> {
    for (const table of MODEL_TABLES) {
      const snapshot = await rig.snapshotAll(table, { token: this.token });
      this.tables[table] = { version: snapshot.snapshotVersion, cursor: null, windowEnd: null, replica: new Map(snapshot.rows.map((row) => [keyText(keyOf(table, row)), row])) };
    }
  }

  /** The tables not in the middle of a window: those a wait may name. */
  idleTables(): ModelTable[] {
    return MODEL_TABLES.filter((table) => this.tables[table].cursor === null);
  }

  /** The query of this table's next page: its window's next page, or a new window from the checkpoint. */
  nextPageQuery(table: ModelTable, waitMs = 0): string {
    const state = this.tables[table];
    const query = new URLSearchParams({ table, since: state.version, limit: String(this.limit) });
    if (state.cursor) query.set('cursor', state.cursor);
    if (waitMs > 0) query.set('wait', String(waitMs));
    return `/v1/changes?${query}`;
  }

  /** PostgreSQL's windows are [since, toVersion): a change of version toVersion belongs to the next window. */
  apply(table: ModelTable, page: ChangesPage, how: string): void {
    const state = this.tables[table];
    const where = `${this.name}/${table} ${how} since=${state.version} cursor=${state.cursor ? 'yes' : 'no'} to=${page.toVersion} hasMore=${page.hasMore}`;
    if (page.sinceVersion !== state.version) this.violations.push(`${where}: sinceVersion ${page.sinceVersion}`);
    if (state.cursor !== null) this.laterPages += 1;
    if (state.cursor !== null && page.toVersion !== state.windowEnd) this.violations.push(`${where}: a later page ends at ${page.toVersion}, its window at ${state.windowEnd}`);
    if (BigInt(page.toVersion) < BigInt(state.version)) this.violations.push(`${where}: it ends before its start`);
    for (const change of page.changes) {
      const version = BigInt(change.version);
      if (version < BigInt(state.version) || version >= BigInt(page.toVersion)) this.violations.push(`${where}: change ${change.version} outside the window`);
      if (change.op === 'delete') state.replica.delete(keyText(change.key));
      else state.replica.set(keyText(change.key), change.row);
    }
    if (page.hasMore) {
      if (state.cursor === null) state.windowEnd = page.toVersion;
      state.cursor = page.nextCursor;
    } else {
      Object.assign(state, { version: page.toVersion, cursor: null, windowEnd: null });
    }
  }

  /** Where the replica differs from a fresh snapshot of what this PDV may see. */
  async differences(rig: DeltasRig): Promise<string[]> {
    const found: string[] = [];
    for (const table of MODEL_TABLES) {
      const truth = await rig.snapshotAll(table, { token: this.token });
      const expected = new Map(truth.rows.map((row) => [keyText(keyOf(table, row)), rowText(row)]));
      const actual = new Map([...this.tables[table].replica].map(([key, row]) => [key, rowText(row)]));
      for (const [key, row] of expected) if (actual.get(key) !== row) found.push(`${this.name}/${table} ${key}: has ${actual.get(key) ?? 'nothing'}, central ${row}`);
      for (const key of actual.keys()) if (!expected.has(key)) found.push(`${this.name}/${table} ${key}: has a row central does not`);
    }
    return found;
  }
}

const keyText = (key: SyncRow) => JSON.stringify(Object.keys(key).sort().map((name) => [name, key[name]]));
const rowText = (row: SyncRow) => JSON.stringify(Object.keys(row).sort().map((name) => [name, row[name]]));

function keyOf(table: ModelTable, row: SyncRow): SyncRow {
  return table === 'produto' ? { produto_id: row.produto_id! } : { loja_id: row.loja_id!, produto_id: row.produto_id! };
}
