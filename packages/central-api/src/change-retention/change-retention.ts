import type { Database, DialectName } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';
import { MSSQL_CHANGE_RETENTION } from './change-retention.mssql.js';
import { POSTGRES_CHANGE_RETENTION } from './change-retention.postgres.js';

/** How long the central database keeps changes for the PDVs, read and set in the dialect's own way. */
export interface ChangeRetentionStore {
  /** The retention in days (a fraction when SQL Server has it in minutes or hours), or null when none is set. */
  readDays(db: Database): Promise<number | null>;
  setDays(db: Database, days: number): Promise<void>;
}

const STORES: Record<DialectName, ChangeRetentionStore> = { postgres: POSTGRES_CHANGE_RETENTION, mssql: MSSQL_CHANGE_RETENTION };

/**
 * Applies CT_RETENTION_DAYS at every start, when it is set. The schema script that enables Change Tracking runs
 * once per database and records its checksum, so a value changed later would otherwise never reach the
 * database. Unset, the database keeps whatever retention it has (a DBA's choice included). A shorter retention
 * is applied too, since it was asked for, with a warning: a PDV offline for longer re-snapshots its tables.
 */
export async function applyChangeRetention(db: Database, days: number | undefined, logger: CentralLogger): Promise<void> {
  if (days === undefined) return;
  const store = STORES[db.dialect];
  const current = await store.readDays(db);
  if (current === days) return;
  await store.setDays(db, days);
  if (current !== null && days < current) {
    logger.warn({ fromDays: current, toDays: days }, 'change retention shortened (CT_RETENTION_DAYS): a PDV offline for longer than it re-snapshots its tables');
  } else {
    logger.info({ fromDays: current, toDays: days }, 'change retention set (CT_RETENTION_DAYS)');
  }
}
