import { PermanentError, type Database } from '@goldpdv/core';
import { upperOf, type ClockReading } from './clock-reading.js';
import { incarnationOf } from './incarnation.js';
import { INCARNATION_COLUMNS_SQL, INCARNATION_PRELUDE_SQL } from './versions.mssql.js';

/**
 * One batch per clock tick. Change Tracking has one version counter for the whole database, so the current
 * version alone cannot tell which table moved: a commit to any tracked table (a central handler writing stock
 * on every sale) would wake the waiters of every table. Instead, per table, the highest SYS_CHANGE_VERSION of
 * CHANGETABLE(CHANGES t, @previous), @previous being the current version the previous tick read: between two
 * ticks that is a handful of rows. With @previous NULL (the first tick, or after a restore) CHANGETABLE returns
 * every tracked change, once, to find each table's latest. Versions above the current version read first are
 * left to the next tick, so that every table's latest change is one the version read has settled.
 *
 * Each row also brings the table's minimum valid version: a window must not start below it. `@p1` is @previous
 * as text (bigint travels as varchar so that the driver never makes it a JS number); the tables are their quoted
 * schema.name (trackingName), which the registry built with quoteIdentifier.
 */
export function clockSql(trackingNames: readonly string[], fresh: ReadonlySet<number> = new Set()): string {
  const probes = trackingNames.map(
    (name, index) =>
      `SELECT ${index} AS table_index, ` +
      `(SELECT CONVERT(varchar(20), MAX(ct.SYS_CHANGE_VERSION)) FROM CHANGETABLE(CHANGES ${name}, ${fresh.has(index) ? '@everything' : '@previous'}) AS ct WHERE ct.SYS_CHANGE_VERSION <= @current) AS head, ` +
      `CONVERT(varchar(20), CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(${unicodeLiteral(name)}))) AS min_valid`,
  );
  // No table asked about: one row without a table still carries the version and the incarnation.
  const tables = probes.length > 0 ? probes.join('\n         UNION ALL\n        ') : 'SELECT CAST(NULL AS int) AS table_index, CAST(NULL AS varchar(20)) AS head, CAST(NULL AS varchar(20)) AS min_valid';
  // CHANGETABLE takes a variable or a constant as its version, not an expression: @everything is the NULL that
  // asks for every tracked change, for a table the previous tick did not read.
  return `DECLARE @previous bigint = CAST(@p1 AS bigint), @everything bigint = NULL;
${INCARNATION_PRELUDE_SQL}
DECLARE @current bigint = CHANGE_TRACKING_CURRENT_VERSION();
SELECT CONVERT(varchar(20), @current) AS current_version,
       ${INCARNATION_COLUMNS_SQL},
       p.table_index, p.head, p.min_valid
  FROM (${tables}) AS p;`;
}

export interface ClockRow {
  current_version: string | null;
  recovery_fork: string | null;
  database_guid: string | null;
  restore_mark: string | null;
  table_index: number | null;
  head: string | null;
  min_valid: string | null;
}

/** A T-SQL Unicode string literal: the quoted name as OBJECT_ID reads it, quotes doubled. */
const unicodeLiteral = (text: string): string => `N'${text.replace(/'/g, "''")}'`;

/**
 * How often, in versions, the upper version moves with the database's version counter alone: the checkpoints
 * of tables that never change then keep up with the counter (and so stay above the cleanup's minimum valid
 * version) while every replica still computes the same upper version.
 */
const VERSION_GRID = 1_000n;

/**
 * `previous` is the last tick's reading: a table with no change since it keeps its latest change; a table it did
 * not read (newly served, or left out) is read from the start. After a change of incarnation (versions may have
 * gone back), every table is read from the start.
 *
 * The batch runs in a SNAPSHOT transaction, as Microsoft advises for Change Tracking reads: under READ COMMITTED
 * with locking, CHANGETABLE would wait on a long write to a tracked table, and every pull with it. A table the
 * batch cannot read (tracking turned off, dropped, VIEW CHANGE TRACKING revoked) fails the whole batch: the
 * tables are then read one by one and that one is left out, so that the others go on and its own reads report it.
 *
 * No `unsettled` (PostgreSQL's twin reports it): it only tells a clock that rests between change notifications
 * to keep reading, and SQL Server has no such notification, so its clock reads every interval while PDVs wait
 * anyway. What a reading serves does not depend on it: on both dialects its upper version is the settled one
 * (clock-reading.ts), and the column only decides when the next reading comes.
 */
export async function readClockMssql(db: Database, tables: readonly string[], previous: ClockReading | null): Promise<ClockReading> {
  try {
    return await readClockBatch(db, tables, previous);
  } catch (error) {
    if (tables.length <= 1) throw error;
    const readable: string[] = [];
    for (const table of tables) {
      try {
        await readClockBatch(db, [table], previous);
        readable.push(table);
      } catch {
        // Left out of this tick; its requests read the database, which says why.
      }
    }
    if (readable.length === 0) throw error;
    return readClockBatch(db, readable, previous);
  }
}

async function readClockBatch(db: Database, tables: readonly string[], previous: ClockReading | null): Promise<ClockReading> {
  const fresh = new Set(previous === null ? [] : tables.flatMap((table, index) => (previous.quietFrom.has(table) ? [] : [index])));
  const rows = await db.transaction(
    async (tx) => (await tx.query<ClockRow>(clockSql(tables, fresh), [previous ? previous.bound.toString() : null])).rows,
    { isolation: 'snapshot' },
  );
  const reading = readingOf(rows, tables, previous, fresh);
  const comparable = previous !== null && previous.incarnation === reading.incarnation && previous.bound <= reading.bound;
  if (previous !== null && !comparable) return readClockBatch(db, tables, null);
  return reading;
}

/** The reading a batch's rows make, given the previous reading the batch looked for changes after. */
export function readingOf(rows: readonly ClockRow[], tables: readonly string[], previous: ClockReading | null, fresh: ReadonlySet<number>): ClockReading {
  const first = rows[0];
  if (!first || first.current_version === null) throw new PermanentError('Change Tracking is not enabled on this database');
  const bound = BigInt(first.current_version);
  const incarnation = incarnationOf('mssql', [first.recovery_fork, first.database_guid, first.restore_mark]);
  const quietFrom = new Map<string, bigint>();
  for (const row of rows) {
    if (row.table_index === null) continue;
    // A table no longer tracked has no minimum valid version: no entry, so reads go to the database and pause it.
    if (row.min_valid === null) continue;
    const name = tables[row.table_index]!;
    // Windows are (since, upper]: one from the latest change on holds none of it, and one from the minimum valid
    // version on is valid. No change since the previous tick: the latest is the one that tick knew.
    const head = row.head !== null ? BigInt(row.head) : previous === null || fresh.has(row.table_index) ? 0n : (previous.quietFrom.get(name) ?? 0n);
    const minValid = BigInt(row.min_valid);
    quietFrom.set(name, head > minValid ? head : minValid);
  }
  const grid = (bound / VERSION_GRID) * VERSION_GRID;
  const upper = upperOf(quietFrom, bound);
  return { upper: grid > upper ? grid : upper, bound, incarnation, quietFrom };
}
