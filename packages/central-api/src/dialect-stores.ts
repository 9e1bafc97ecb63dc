import type { DialectName } from '@goldpdv/core';
import type { DeltaStore } from './deltas/db/delta-store.js';
import { MSSQL_DELTA_STORE } from './deltas/db/delta-store.mssql.js';
import { POSTGRES_DELTA_STORE } from './deltas/db/delta-store.postgres.js';
import type { InboxStore } from './ingest/inbox-store.js';
import { MSSQL_INBOX_STORE } from './ingest/inbox-store.mssql.js';
import { POSTGRES_INBOX_STORE } from './ingest/inbox-store.postgres.js';
import type { PdvStore } from './pdv/pdv-store.js';
import { MSSQL_PDV_STORE } from './pdv/pdv-store.mssql.js';
import { POSTGRES_PDV_STORE } from './pdv/pdv-store.postgres.js';
import type { StatusReportStore } from './pdv/status-report-store.js';
import { MSSQL_STATUS_REPORT_STORE } from './pdv/status-report-store.mssql.js';
import { POSTGRES_STATUS_REPORT_STORE } from './pdv/status-report-store.postgres.js';

/** Every database operation of central-api, one store per concern, each written once per dialect. */
export interface DialectStores {
  /** The pull side: catalog, change and snapshot pages, change heads, change-log retention. */
  deltas: DeltaStore;
  /** The push side: sync_inbox, handler calls and the ingest transaction's savepoints. */
  inbox: InboxStore;
  /** The PDV registry: token lookups and the PDV_TOKENS bootstrap. */
  pdvs: PdvStore;
  /** The PDVs' latest status reports (sync_pdv_status): the fleet view. */
  statusReports: StatusReportStore;
}

const STORES: Record<DialectName, DialectStores> = {
  postgres: { deltas: POSTGRES_DELTA_STORE, inbox: POSTGRES_INBOX_STORE, pdvs: POSTGRES_PDV_STORE, statusReports: POSTGRES_STATUS_REPORT_STORE },
  mssql: { deltas: MSSQL_DELTA_STORE, inbox: MSSQL_INBOX_STORE, pdvs: MSSQL_PDV_STORE, statusReports: MSSQL_STATUS_REPORT_STORE },
};

/** The one place central-api looks at the dialect: called once, when the server (its AppContext) is created. */
export function storesFor(dialect: DialectName): DialectStores {
  return STORES[dialect];
}
