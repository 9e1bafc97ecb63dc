import { quoteIdentifier, quoteNameLiteral } from '@goldpdv/core';
import type { EventsModel, SourceModel } from '../declaration/events-model.js';
import { inValues, MSSQL_TEXT as T } from './sql-text.js';
import { LEGACY_TRIGGERS, scriptHeader, seedValues } from './events-script-parts.js';

/**
 * The SQL Server script of a declaration: one capture trigger per source table, the hand-written triggers of
 * 0005_outbox_producer.sql removed, the rows that exist already recorded as seen, and the declaration's hash,
 * all in one transaction. Batches are separated by GO (CREATE TRIGGER must be alone in its batch).
 *
 * The schema runner runs it inside its own transaction; the script's BEGIN/COMMIT then only nest (a DBA running
 * it with sqlcmd -b gets the same single transaction: on an error sqlcmd disconnects and it is rolled back).
 */
export function mssqlEventsScript(model: EventsModel): string {
  const batches = [
    `${scriptHeader(model, 'mssql')}
-- Bounded waits for the tables' locks: a POS transaction holding one for more than 5 s makes the script give up
-- (error 1222, nothing changed) instead of making every sale queue behind it; it is tried again later. A sale
-- that meets this script in a deadlock wins it (DEADLOCK_PRIORITY LOW).
SET LOCK_TIMEOUT 5000;
SET DEADLOCK_PRIORITY LOW;
BEGIN TRANSACTION;`,
    // The hand-written producer of 0005: its events stay in the outbox and go up as they are; from here on the
    // capture triggers take over. Both happen under the same table locks, so no sale is seen by both or by neither.
    LEGACY_TRIGGERS.map((name) => `IF OBJECT_ID(N'dbo.${name}', N'TR') IS NOT NULL DROP TRIGGER dbo.${name};`).join('\n'),
    dropStaleTriggers(model),
    ...model.sources.map(captureTrigger),
    ...model.sources.map(seedExistingRows),
    `DELETE FROM dbo.sync_event_declaration WHERE declaration_hash <> '${model.hash}';
IF NOT EXISTS (SELECT 1 FROM dbo.sync_event_declaration WHERE declaration_hash = '${model.hash}')
INSERT INTO dbo.sync_event_declaration (declaration_hash) VALUES ('${model.hash}');
COMMIT TRANSACTION;`,
  ];
  return `${batches.join('\nGO\n\n')}\nGO\n`;
}

/** Capture triggers of an earlier declaration on tables that this one no longer declares. */
function dropStaleTriggers(model: EventsModel): string {
  const current = model.sources.map((source) => quoteNameLiteral('mssql', source.captureName)).join(', ');
  return `-- Capture triggers of tables that the declaration no longer names.
DECLARE @stale nvarchar(max) = N'';
SELECT @stale = @stale + N'DROP TRIGGER ' + QUOTENAME(OBJECT_SCHEMA_NAME(t.object_id)) + N'.' + QUOTENAME(t.name) + N';'
FROM sys.triggers AS t
WHERE t.parent_class = 1 AND t.name LIKE N'sync[_]capture[_]%' AND t.name NOT IN (${current});
EXEC sys.sp_executesql @stale;`;
}

/**
 * Copies the key and the new status of each row that enters or leaves a watched status (or of each inserted row,
 * for insert events) into dbo.sync_capture, and nothing else: no function call, no lookup, no conversion that a
 * value could make fail, no unique key to collide with. SET ROWCOUNT 0: capture_id is a sequence default, which
 * SQL Server refuses while the POS session has SET ROWCOUNT on (error 11739); the setting ends with the trigger.
 */
function captureTrigger(source: SourceModel): string {
  const table = T.table(source.table);
  const name = `${source.table.schema === undefined ? '' : `${quoteIdentifier('mssql', source.table.schema)}.`}${quoteIdentifier('mssql', source.captureName)}`;
  const firstKey = T.column('d', source.key[0]!.column);
  const keyJoin = source.key.map(({ column }) => `${T.column('d', column)} = ${T.column('i', column)}`).join(' AND ');
  const status = source.statusColumn;
  const header = `-- ${source.id}: ${source.events.map((event) => event.type).join(', ')}.
CREATE OR ALTER TRIGGER ${name} ON ${table}
AFTER ${status === null ? 'INSERT' : 'INSERT, UPDATE'}
AS
BEGIN
    SET NOCOUNT ON;
    SET ROWCOUNT 0;
    INSERT INTO dbo.sync_capture (source_name, key_text, op, new_status)`;
  if (status === null) {
    return `${header}
    SELECT ${T.literal(source.id)}, ${T.keyText('i', source.key)}, 'I', NULL
    FROM inserted AS i;
END;`;
  }
  const now = T.statusText('i', status);
  const before = T.statusText('d', status);
  const inserted = source.capturesInserts ? `${firstKey} IS NULL` : `${firstKey} IS NULL AND ${inValues(T, now, source.watchedValues)}`;
  return `${header}
    SELECT ${T.literal(source.id)}, ${T.keyText('i', source.key)}, CASE WHEN ${firstKey} IS NULL THEN 'I' ELSE 'U' END, ${now}
    FROM inserted AS i
    LEFT JOIN deleted AS d ON ${keyJoin}
    WHERE (${inserted})
       OR (${firstKey} IS NOT NULL
           AND (${now} <> ${before} OR (${now} IS NULL AND ${before} IS NOT NULL) OR (${now} IS NOT NULL AND ${before} IS NULL))
           AND (${inValues(T, now, source.watchedValues)} OR ${inValues(T, before, source.watchedValues)}));
END;`;
}

/**
 * The rows a table holds when it is first taken under capture (or when a status value is first watched) are
 * recorded as seen, with their status: they were sent by the earlier producer, or they predate the sync, and
 * the sweep must not take them for rows the triggers missed. Each (table, value) is seeded once, ever.
 */
function seedExistingRows(source: SourceModel): string {
  const seed = T.syncTable('sync_capture_seed');
  const keyText = T.keyText('s', source.key);
  const status = source.statusColumn === null ? null : T.statusText('s', source.statusColumn);
  const values = seedValues(source);
  const notSeeded = (value: string) => `NOT EXISTS (SELECT 1 FROM ${seed} AS x WHERE x.source_name = ${T.literal(source.id)} AND x.status_value = ${T.literal(value)})`;
  const rowFilter = values.map((value) => (value === '' || status === null ? notSeeded(value) : `(${status} = ${T.literal(value)} AND ${notSeeded(value)})`)).join('\n    OR ');
  const statusValues = values.filter((value) => value !== '');
  const catchUp = status === null || statusValues.length === 0 ? '' : `
-- Rows recorded already whose status is a value watched from now on: that status is not an event either.
UPDATE st SET last_status = ${status}, updated_at = SYSUTCDATETIME()
FROM dbo.sync_event_state AS st
JOIN ${T.table(source.table)} AS s ON st.source_name = ${T.literal(source.id)} AND st.key_text = ${keyText}
WHERE (${statusValues.map((value) => `(${status} = ${T.literal(value)} AND ${notSeeded(value)})`).join('\n    OR ')})
  AND (st.last_status IS NULL OR st.last_status <> ${status});`;
  return `-- ${source.id}: rows that exist now are not new events.${catchUp}
INSERT INTO dbo.sync_event_state (source_name, key_text, last_status, transitions)
SELECT ${T.literal(source.id)}, ${keyText}, ${status ?? 'NULL'}, 0
FROM ${T.table(source.table)} AS s
WHERE ${keyText} IS NOT NULL
  AND (${rowFilter})
  AND NOT EXISTS (SELECT 1 FROM dbo.sync_event_state AS st WHERE st.source_name = ${T.literal(source.id)} AND st.key_text = ${keyText});
INSERT INTO ${seed} (source_name, status_value)
SELECT ${T.literal(source.id)}, v.status_value
FROM (VALUES ${values.map((value) => `(${T.literal(value)})`).join(', ')}) AS v (status_value)
WHERE NOT EXISTS (SELECT 1 FROM ${seed} AS x WHERE x.source_name = ${T.literal(source.id)} AND x.status_value = v.status_value);`;
}
