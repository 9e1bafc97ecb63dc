import { envInt } from '../config/env-types.js';
import type { Queryable } from '../db/index.js';

/**
 * How full the PDV's database is. SQL Server Express stops a database whose data files reach 10 GB (log files
 * not counted): inserts fail, and so does the sale. `status` and `doctor` warn at 80 % of the limit, so there is
 * time to shorten the outbox retention (PUSH_RETENTION_HOURS) or clear old data before that.
 */
export const databaseSizeEnv = {
  /** The data size limit of the PDV database, in MB: overrides SQL Server Express's 10 GB; no limit unless set elsewhere. */
  PDV_DB_SIZE_LIMIT_MB: envInt(1, 100_000_000).optional(),
};

/** Express's limit on the data files of one database: 10 GB. */
export const EXPRESS_DATA_LIMIT_MB = 10_240;
/** The share of the limit at which `status` and `doctor` warn. */
export const SIZE_WARN_FRACTION = 0.8;

export interface DatabaseSize {
  /** Size of the data (rows and indexes) files, in MB; the log is not counted (Express does not count it). */
  dataMb: number;
  /** null: no limit known (PostgreSQL, or an edition of SQL Server other than Express, without PDV_DB_SIZE_LIMIT_MB). */
  limitMb: number | null;
  limitSource: 'PDV_DB_SIZE_LIMIT_MB' | 'SQL Server Express' | null;
  /** dataMb / limitMb, or null without a limit. */
  usedFraction: number | null;
  /** At or above SIZE_WARN_FRACTION of the limit. */
  nearLimit: boolean;
}

// SERVERPROPERTY('EngineEdition') = 4 is Express. sys.database_files.size counts 8-KB pages; type 0 is data (ROWS).
const SIZE_SQL_MSSQL = `SELECT CAST(SERVERPROPERTY('EngineEdition') AS int) AS engine_edition,
  CAST(SUM(CAST(size AS bigint)) * 8 AS bigint) AS data_kb
FROM sys.database_files WHERE type = 0;`;
const SIZE_SQL_POSTGRES = `SELECT NULL::int AS engine_edition, (pg_database_size(current_database()) / 1024)::bigint AS data_kb`;

export const DATABASE_SIZE_SQL = { mssql: SIZE_SQL_MSSQL, postgres: SIZE_SQL_POSTGRES } as const;

export async function readDatabaseSize(db: Queryable, limitOverrideMb?: number): Promise<DatabaseSize> {
  const row = (await db.query<{ engine_edition: unknown; data_kb: unknown }>(DATABASE_SIZE_SQL[db.dialect])).rows[0];
  const dataMb = Math.round((Number(row?.data_kb ?? 0) / 1024) * 10) / 10;
  const express = db.dialect === 'mssql' && Number(row?.engine_edition) === 4;
  const limitMb = limitOverrideMb ?? (express ? EXPRESS_DATA_LIMIT_MB : null);
  const limitSource = limitOverrideMb !== undefined ? 'PDV_DB_SIZE_LIMIT_MB' : express ? 'SQL Server Express' : null;
  const usedFraction = limitMb === null ? null : dataMb / limitMb;
  return { dataMb, limitMb, limitSource, usedFraction, nearLimit: usedFraction !== null && usedFraction >= SIZE_WARN_FRACTION };
}

/** One line for people: "812.4 MB of 10240 MB (SQL Server Express), 8 %". */
export function describeDatabaseSize(size: DatabaseSize): string {
  if (size.limitMb === null) return `${size.dataMb} MB of data; no size limit known (set PDV_DB_SIZE_LIMIT_MB to watch one)`;
  return `${size.dataMb} MB of data of ${size.limitMb} MB (${size.limitSource}), ${Math.round(size.usedFraction! * 100)} % used`;
}

/** What to do near the limit. */
export const DATABASE_SIZE_FIX =
  'lower PUSH_RETENTION_HOURS (sent events and their NF-e XML are kept that long), clear old dead letters once handled, and plan a move off SQL Server Express (10 GB per database) if the catalog itself grows';
