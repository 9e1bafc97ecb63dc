import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySchema, type Database, type DialectName, type SchemaRunOptions } from '@goldpdv/core';
import type { EventsModel } from '../declaration/events-model.js';
import { eventsScriptName } from './events-script-parts.js';
import { mssqlEventsScript } from './events-script.mssql.js';
import { postgresEventsScript } from './events-script.postgres.js';

const GENERATORS: Record<DialectName, (model: EventsModel) => string> = { mssql: mssqlEventsScript, postgres: postgresEventsScript };

/** The capture triggers of a declaration, as one script of the dialect (what `outbox-triggers print` prints). */
export function eventsScript(model: EventsModel, dialect: DialectName): string {
  return GENERATORS[dialect](model);
}

/**
 * Applies the declaration's script through the schema runner, as pdv/0012_outbox_events_<hash>.sql: recorded in
 * sync_schema_version like any script, under the same session lock, in one transaction. A declaration applied
 * before is not applied again; a changed one has another hash, hence another name, and is applied once. The
 * runner reads scripts from files, so the script is written to a folder of its own for the run.
 */
export async function applyEventsScript(db: Database, model: EventsModel, options: Pick<SchemaRunOptions, 'logger' | 'timeoutMs' | 'onProgress'>): Promise<boolean> {
  const folder = await mkdtemp(join(tmpdir(), 'goldpdv-events-'));
  try {
    const scripts = join(folder, db.dialect, 'pdv');
    await mkdir(scripts, { recursive: true });
    await writeFile(join(scripts, eventsScriptName(model)), eventsScript(model, db.dialect), 'utf8');
    // No history of renamed scripts applies to generated ones.
    const result = await applySchema(db, { role: 'pdv', commonDir: folder, history: { replacedNames: {}, earlierChecksums: {} }, ...options });
    return result.applied.length > 0;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * The triggers the generated script installs, by table: one per table on SQL Server (named after the capture, the
 * names being schema-wide there), and on PostgreSQL sync_capture_insert, plus sync_capture_update on a table whose
 * events watch a status column (trigger names are per table there; the capture function carries the name).
 */
export function captureTriggers(model: EventsModel, dialect: DialectName): { table: string; trigger: string }[] {
  return model.sources.flatMap((source) =>
    dialect === 'mssql'
      ? [{ table: source.table.name, trigger: source.captureName }]
      : [
          { table: source.table.name, trigger: 'sync_capture_insert' },
          ...(source.statusColumn === null ? [] : [{ table: source.table.name, trigger: 'sync_capture_update' }]),
        ],
  );
}
