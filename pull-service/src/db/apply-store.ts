import type { Queryable, SyncRow } from '@goldpdv/core';
import type { LocalName } from '../plan/local-name.js';
import type { ChildLink, ColumnPlan, TablePlan } from '../plan/table-plan.js';
import { inStatementRuns } from './statement-size.js';

/** The rows a snapshot page covers: its keys, after the previous page's last key and up to its own last key. */
export interface StaleRange {
  keys: readonly SyncRow[];
  /** null on the first page: no lower bound. */
  lower: SyncRow | null;
  /** null on the last page: no upper bound. */
  upper: SyncRow | null;
}

/**
 * The writes of one table's pages, one method per operation, over statements built once for the table. Keys
 * and rows carry central names; key lists travel as one JSON parameter on both dialects.
 */
export interface ApplyStore {
  readonly statements: TableStatements;
  /** Every row in one statement: INSERT ... ON CONFLICT (PostgreSQL), MERGE (SQL Server). */
  upsert(tx: Queryable, columns: readonly ColumnPlan[], rows: readonly SyncRow[]): Promise<void>;
  /** Deletes the rows of these keys that no local row refers to; returns the keys of those still referred to. */
  deleteKeys(tx: Queryable, keys: readonly SyncRow[]): Promise<SyncRow[]>;
  /** Deletes the rows of the range that the page does not carry (gone centrally); returns those still referred to. */
  deleteStale(tx: Queryable, range: StaleRange): Promise<SyncRow[]>;
  /** The keys of `keys` that are not among `others`, as text under central names. */
  keysNotIn(tx: Queryable, keys: readonly SyncRow[], others: readonly SyncRow[]): Promise<SyncRow[]>;
  /** How many of `keys`, in their order, are not above the one before in the local key order: 0 when it agrees. */
  countKeysOutOfOrder(tx: Queryable, keys: readonly SyncRow[]): Promise<number>;
}

/** A set-based delete of the rows nothing refers to, and the query that finds the ones left (still referred to). */
export interface DeleteStatements {
  delete: string;
  /** null when no local foreign key refers to the table: then nothing can be left. */
  leftOver: string | null;
}

export interface StaleBounds {
  lower: boolean;
  upper: boolean;
}

/** The statement texts of one table, built once per table (and per column set) and reused. */
export interface TableStatements {
  /** One statement: every upsert row of a page, with the parameters upsertParams makes of the rows. */
  upsert(columns: readonly ColumnPlan[]): string;
  /** Parameter 1: JSON array of keys (tombstones or pending deletes). */
  readonly deleteKeys: DeleteStatements;
  /** The rows a snapshot page shows are gone. Parameters: page keys, then the bounds that are set. */
  deleteStale(bounds: StaleBounds): DeleteStatements;
  /** Keys of parameter 1 not among the keys of parameter 2, as text under central names. */
  readonly keysNotIn: string;
  /** One row, out_of_order: keys of parameter 1 (with "#" positions) out of local key order. */
  readonly keyOrderCheck: string;
}

/** The statements around an upsert into a table with an IDENTITY column (SQL Server's SET IDENTITY_INSERT). */
export interface IdentityInsert {
  on: string;
  off: string;
}

/** A statement run after a page's upsert: moves a sequence past the pulled values (PostgreSQL). */
export interface SequenceMove {
  sql: string;
  params: unknown[];
}

/** What each dialect file (apply-store.postgres.ts, apply-store.mssql.ts) provides to build a table's statements. */
export interface ApplySqlDialect {
  upsertSql(table: TablePlan, columns: readonly ColumnPlan[]): string;
  /** The parameters of upsertSql for these rows: the one thing the dialects pass differently. */
  upsertParams(columns: readonly ColumnPlan[], rows: readonly SyncRow[]): unknown[];
  /** null unless the upsert writes an identity column that needs switching on for the page (SQL Server). */
  identityInsert(table: TablePlan, columns: readonly ColumnPlan[]): IdentityInsert | null;
  sequenceMoves(table: TablePlan, columns: readonly ColumnPlan[], rows: readonly SyncRow[]): SequenceMove[];
  keyListPredicate(table: TablePlan): (alias: string) => string;
  /** A name quoted for this dialect, and a local table's name as statements write it. */
  quote(name: string): string;
  localTable(name: LocalName): string;
  deleteWhere(table: TablePlan, predicate: string): string;
  selectKeysWhere(table: TablePlan, predicate: string): string;
  keysNotInSql(table: TablePlan): string;
  staleRangePredicate(table: TablePlan, bounds: StaleBounds): (alias: string) => string;
  keyOrderCheckSql(table: TablePlan): string;
}

export function createApplyStore(sql: ApplySqlDialect, table: TablePlan, references: readonly ChildLink[]): ApplyStore {
  const statements = tableStatements(sql, table, references);
  const deleting = async (tx: Queryable, statement: DeleteStatements, params: unknown[]): Promise<SyncRow[]> => {
    await tx.query(statement.delete, params);
    if (statement.leftOver === null) return [];
    return (await tx.query<SyncRow>(statement.leftOver, params)).rows;
  };
  // Tombstones come a page at a time, but pending deletes pile up while children hold them: a run at a time.
  const deletingKeys = async (tx: Queryable, keys: readonly SyncRow[]): Promise<SyncRow[]> => {
    const left: SyncRow[] = [];
    for (const run of inStatementRuns(keys)) left.push(...(await deleting(tx, statements.deleteKeys, [JSON.stringify(run)])));
    return left;
  };
  return {
    statements,
    async upsert(tx, columns, rows) {
      const params = sql.upsertParams(columns, rows);
      const identity = sql.identityInsert(table, columns);
      if (identity === null) await tx.query(statements.upsert(columns), params);
      else await withIdentityInsert(tx, identity, () => tx.query(statements.upsert(columns), params));
      for (const move of sql.sequenceMoves(table, columns, rows)) await tx.query(move.sql, move.params);
    },
    deleteKeys: deletingKeys,
    deleteStale(tx, { keys, lower, upper }) {
      const params = [JSON.stringify(keys), ...(lower ? [JSON.stringify(lower)] : []), ...(upper ? [JSON.stringify(upper)] : [])];
      return deleting(tx, statements.deleteStale({ lower: lower !== null, upper: upper !== null }), params);
    },
    async keysNotIn(tx, keys, others) {
      return (await tx.query<SyncRow>(statements.keysNotIn, [JSON.stringify(keys), JSON.stringify(others)])).rows;
    },
    async countKeysOutOfOrder(tx, keys) {
      if (keys.length < 2) return 0;
      const positioned = keys.map((key, position) => ({ ...key, '#': position }));
      const { rows } = await tx.query<{ out_of_order: string | number }>(statements.keyOrderCheck, [JSON.stringify(positioned)]);
      return Number(rows[0]?.out_of_order ?? 0);
    },
  };
}

/** The statement texts of one table in one dialect (the T-SQL grammar tests parse every one of them). */
export function tableStatements(sql: ApplySqlDialect, table: TablePlan, references: readonly ChildLink[]): TableStatements {
  const upserts = new Map<string, string>();
  const stale = new Map<string, DeleteStatements>();
  const deleting = (predicate: (alias: string) => string): DeleteStatements => {
    if (references.length === 0) return { delete: sql.deleteWhere(table, predicate('t')), leftOver: null };
    return {
      delete: sql.deleteWhere(table, `${predicate('t')} AND ${notReferenced(sql, references, 't')}`),
      leftOver: sql.selectKeysWhere(table, predicate('t')),
    };
  };
  return {
    upsert(columns) {
      const signature = columns.map((column) => column.central).join(',');
      let text = upserts.get(signature);
      if (text === undefined) upserts.set(signature, (text = sql.upsertSql(table, columns)));
      return text;
    },
    deleteKeys: deleting(sql.keyListPredicate(table)),
    deleteStale(bounds) {
      const signature = `${bounds.lower}:${bounds.upper}`;
      let statements = stale.get(signature);
      if (statements === undefined) stale.set(signature, (statements = deleting(sql.staleRangePredicate(table, bounds))));
      return statements;
    },
    keysNotIn: sql.keysNotInSql(table),
    keyOrderCheck: sql.keyOrderCheckSql(table),
  };
}

/** "no local row refers to row `alias`": each foreign key that points at the table, pulled or not. */
function notReferenced(sql: ApplySqlDialect, references: readonly ChildLink[], alias: string): string {
  return references
    .map((link, i) => {
      const join = link.childColumns.map((column, j) => `r${i}.${sql.quote(column)} = ${alias}.${sql.quote(link.parentColumns[j]!)}`).join(' AND ');
      return `NOT EXISTS (SELECT 1 FROM ${sql.localTable(link.childTable)} AS r${i} WHERE ${join})`;
    })
    .join(' AND ');
}

/**
 * SET IDENTITY_INSERT stays on for the session, whatever happens to the transaction: a rollback does not turn it
 * off, a pooled connection is handed on as it is, and only one table per session may have it on. So it is turned
 * off after the upsert in every case; after a failed upsert a failure to turn it off must not hide the upsert's
 * own error (and core closes, instead of pooling, a connection whose transaction the server ended meanwhile).
 * Both SETs go as batches (executeScript), never through query: the driver sends every query as an RPC to
 * sp_executesql, and a SET made inside it is undone when it returns, before the upsert would run.
 */
async function withIdentityInsert(tx: Queryable, identity: IdentityInsert, work: () => Promise<unknown>): Promise<void> {
  await tx.executeScript(identity.on);
  let failed = true;
  try {
    await work();
    failed = false;
  } finally {
    try {
      await tx.executeScript(identity.off);
    } catch (offError) {
      if (!failed) throw offError;
    }
  }
}
