import type { DialectName } from '@goldpdv/core';
import type { ChildLink, TablePlan } from '../plan/table-plan.js';
import { createApplyStore, type ApplyStore } from './apply-store.js';
import * as applyMssql from './apply-store.mssql.js';
import * as applyPostgres from './apply-store.postgres.js';
import { createCheckpointStore, type CheckpointStore } from './checkpoint-store.js';
import * as checkpointsMssql from './checkpoint-store.mssql.js';
import * as checkpointsPostgres from './checkpoint-store.postgres.js';
import { createLocalSchemaReader, type LocalSchemaReader } from './local-schema.js';
import * as schemaMssql from './local-schema.mssql.js';
import * as schemaPostgres from './local-schema.postgres.js';
import { createRejectedRowStore, type RejectedRowStore } from './rejected-row-store.js';
import * as rejectedMssql from './rejected-row-store.mssql.js';
import * as rejectedPostgres from './rejected-row-store.postgres.js';

/** Everything pull-service reads and writes in the local database, in one dialect. */
export interface PullStores {
  checkpoints: CheckpointStore;
  rejectedRows: RejectedRowStore;
  localSchema: LocalSchemaReader;
  /** The writes of one table's pages; `references` are the local foreign keys that point at it. */
  applyStore(table: TablePlan, references: readonly ChildLink[]): ApplyStore;
}

const STORES: Record<DialectName, PullStores> = {
  postgres: {
    checkpoints: createCheckpointStore(checkpointsPostgres),
    rejectedRows: createRejectedRowStore(rejectedPostgres),
    localSchema: createLocalSchemaReader(schemaPostgres),
    applyStore: (table, references) => createApplyStore(applyPostgres, table, references),
  },
  mssql: {
    checkpoints: createCheckpointStore(checkpointsMssql),
    rejectedRows: createRejectedRowStore(rejectedMssql),
    localSchema: createLocalSchemaReader(schemaMssql),
    applyStore: (table, references) => createApplyStore(applyMssql, table, references),
  },
};

/** The one place the dialect is chosen: once, when the worker is created. */
export function pullStoresFor(dialect: DialectName): PullStores {
  return STORES[dialect];
}
