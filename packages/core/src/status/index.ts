export { hasSyncTables, readSyncStatus, type DaemonHealth, type SyncStatus, type TableStatus } from './status-report.js';
export { formatStatus, runStatusCommand, STATUS_USAGE } from './status-command.js';
