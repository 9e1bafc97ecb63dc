import { SCHEMA_SQL } from './schema-sql.js';
import type { DialectName, Queryable } from './types.js';

/**
 * What earlier releases recorded in sync_schema_version, for scripts that have since been renamed, split or
 * re-cut. The runner reads it so that an existing database never runs the same work twice: a name that an
 * earlier release recorded stands for the scripts that now hold its text, and a checksum recorded for a script's
 * earlier wording of the same objects is brought up to date instead of being reported as a changed script.
 */
export interface ScriptHistory {
  /** A name recorded by an earlier release → the scripts that now hold everything it applied. */
  replacedNames: Readonly<Record<string, readonly string[]>>;
  /** A script → checksums earlier releases recorded for it when its text said the same in other words. */
  earlierChecksums: Readonly<Record<string, readonly string[]>>;
}

export const SCRIPT_HISTORY: Readonly<Record<DialectName, ScriptHistory>> = {
  mssql: {
    replacedNames: {
      // Until 2026-12, central/0002_change_tracking.sql was a stub including the whole hand-run entry script:
      // Change Tracking, and the PDV registry and inbox, which PostgreSQL keeps in its own 0003.
      'central/0002_change_tracking.sql': ['central/0002_enable_change_tracking.sql', 'central/0003_sync_central.sql'],
    },
    earlierChecksums: {
      // The stub that included common/pdv_aux_tables.sql: the same objects, with the entry script's header.
      'pdv/0003_pdv_aux_tables.sql': ['f14c6300d12dd3a2fbc3cbfe5b813ebe5f0fb9255cc9d2191f2584d12d0e19c0'],
    },
  },
  postgres: { replacedNames: {}, earlierChecksums: {} },
};

interface HistoryLogger {
  info(obj: object, msg: string): void;
}

/**
 * Brings the records of an earlier release up to date: the scripts that now hold a replaced name's text are
 * recorded as applied, and a checksum of an earlier wording is replaced by today's. Both only write records; no
 * script runs. `applied` (name → recorded checksum) is updated in place.
 */
export async function carryHistoryForward(
  db: Queryable,
  history: ScriptHistory,
  applied: Map<string, string>,
  current: ReadonlyMap<string, string>,
  logger?: HistoryLogger,
): Promise<void> {
  const statements = SCHEMA_SQL[db.dialect];
  for (const [oldName, successors] of Object.entries(history.replacedNames)) {
    if (!applied.has(oldName)) continue;
    for (const name of successors) {
      const checksum = current.get(name);
      if (checksum === undefined || applied.has(name)) continue;
      await db.query(statements.recordApplied, [name, checksum]);
      applied.set(name, checksum);
      logger?.info({ script: name, recordedAs: oldName }, 'schema script recorded as applied: an earlier release applied its text as part of another script');
    }
  }
  for (const [name, earlier] of Object.entries(history.earlierChecksums)) {
    const recorded = applied.get(name);
    const checksum = current.get(name);
    if (recorded === undefined || checksum === undefined || recorded === checksum || !earlier.includes(recorded)) continue;
    await db.query(statements.updateChecksum, [name, checksum, recorded]);
    applied.set(name, checksum);
    logger?.info({ script: name }, 'schema script record brought up to date: an earlier release applied the same objects in other words');
  }
}
