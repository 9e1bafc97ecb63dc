import type { Database } from '../db/types.js';
import { DATABASE_SIZE_FIX, describeDatabaseSize, readDatabaseSize, SIZE_WARN_FRACTION } from '../status/database-size.js';
import { pass, warn, type DoctorCheck } from './doctor-check.js';

/** Warns at 80 % of the database's data size limit (SQL Server Express: 10 GB; or PDV_DB_SIZE_LIMIT_MB). */
export function databaseSizeCheck(db: Database, limitOverrideMb: number | undefined): DoctorCheck {
  return {
    name: 'database size',
    needs: 'database',
    async run() {
      const size = await readDatabaseSize(db, limitOverrideMb);
      if (!size.nearLimit) return pass(describeDatabaseSize(size));
      return warn(`${describeDatabaseSize(size)}: at or above ${SIZE_WARN_FRACTION * 100} % of the limit; past it, inserts (sales included) fail`, DATABASE_SIZE_FIX);
    },
  };
}
