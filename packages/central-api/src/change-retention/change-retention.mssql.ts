import type { ChangeRetentionStore } from './change-retention.js';

/** The database's Change Tracking retention as it is set (retention_period_units: 1 minutes, 2 hours, 3 days). */
export const READ_RETENTION_SQL = `SELECT retention_period AS period, retention_period_units AS units
FROM sys.change_tracking_databases WHERE database_id = DB_ID();`;

/** ALTER DATABASE takes no parameters and no transaction: the number is checked to be a whole number of days first. */
export const setRetentionSql = (days: number): string => {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`change retention: expected a whole number of days; found ${days}`);
  return `ALTER DATABASE CURRENT SET CHANGE_TRACKING (CHANGE_RETENTION = ${days} DAYS, AUTO_CLEANUP = ON);`;
};

export const MSSQL_CHANGE_RETENTION: ChangeRetentionStore = {
  async readDays(db) {
    const { rows } = await db.query<{ period: number; units: number }>(READ_RETENTION_SQL);
    const row = rows[0];
    if (!row) return null;
    // Only a whole number of days counts as set: 2 HOURS is not "1 day already applied", and is corrected.
    return Number(row.units) === 3 ? Number(row.period) : Number(row.period) / (Number(row.units) === 2 ? 24 : 1440);
  },
  async setDays(db, days) {
    await db.executeScript(setRetentionSql(days));
  },
};
