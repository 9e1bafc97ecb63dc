import type { ChangeRetentionStore } from './change-retention.js';

/** PostgreSQL: the retention is the change_retention_days row of sync_settings, which the cleanup function reads. */
export const POSTGRES_CHANGE_RETENTION: ChangeRetentionStore = {
  async readDays(db) {
    const { rows } = await db.query<{ value: string }>(`SELECT value FROM sync_settings WHERE name = 'change_retention_days'`);
    return rows[0] ? Number(rows[0].value) : null;
  },
  async setDays(db, days) {
    await db.query(
      `INSERT INTO sync_settings (name, value) VALUES ('change_retention_days', $1)
ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
      [String(days)],
    );
  },
};
