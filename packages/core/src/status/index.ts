export { hasSyncTables, readLocalSyncStatus, readSyncStatus, type DaemonHealth, type SyncStatus, type TableStatus } from './status-report.js';
export {
  DATABASE_SIZE_FIX,
  DATABASE_SIZE_SQL,
  databaseSizeEnv,
  describeDatabaseSize,
  EXPRESS_DATA_LIMIT_MB,
  readDatabaseSize,
  SIZE_WARN_FRACTION,
  type DatabaseSize,
} from './database-size.js';
export { formatReconciliation, formatStatus, runStatusCommand, STATUS_USAGE } from './status-command.js';
export {
  addDecimals,
  centralSalesFigures,
  normalizeDecimal,
  reconcileFigures,
  subtractDecimals,
  type EventFigure,
  type Reconciliation,
  type ReconciliationRow,
  type SalesFigure,
} from './reconciliation.js';
