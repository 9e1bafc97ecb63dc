import { quoteIdentifier } from '@goldpdv/core';
import type { EventsModel, SourceModel } from '../declaration/events-model.js';
import { LEGACY_TRIGGERS, LEGACY_TRIGGER_TABLES, scriptHeader, seedValues } from './events-script-parts.js';
import { inValues, POSTGRES_TEXT as T } from './sql-text.js';

/**
 * The PostgreSQL script of a declaration: the same steps as events-script.mssql.ts, which explains them. The
 * capture is a row trigger per table (AFTER INSERT, and AFTER UPDATE OF the status column) whose WHEN clause
 * lets in only the rows the SQL Server trigger's WHERE keeps; the function only inserts into sync_capture. As on
 * SQL Server an error in it rolls the sale back: nothing here catches errors, which SQL Server could not do.
 * The SQL Server script also sets DEADLOCK_PRIORITY LOW so that a sale wins a deadlock against it; PostgreSQL has
 * no such setting (the transaction that detects the cycle is the one cancelled), and the 5-s lock_timeout below
 * is what keeps this script from making sales wait, as LOCK_TIMEOUT does there.
 */
export function postgresEventsScript(model: EventsModel): string {
  return `${scriptHeader(model, 'postgres')}
-- Bounded waits for the tables' locks (see the SQL Server script): give up after 5 s, nothing changed.
SET LOCAL lock_timeout = '5s';

${legacyDrops()}

${dropStaleCaptures(model)}

${model.sources.map(captureTrigger).join('\n\n')}

${model.sources.map(seedExistingRows).join('\n\n')}

DELETE FROM sync_event_declaration WHERE declaration_hash <> '${model.hash}';
INSERT INTO sync_event_declaration (declaration_hash) VALUES ('${model.hash}') ON CONFLICT DO NOTHING;
`;
}

function legacyDrops(): string {
  const drops = LEGACY_TRIGGERS.map((name) => {
    const table = LEGACY_TRIGGER_TABLES[name];
    return `    IF to_regclass('${table}') IS NOT NULL THEN DROP TRIGGER IF EXISTS ${name} ON ${table}; END IF;`;
  });
  return `-- The hand-written producer of 0005_outbox_producer.sql; its queued events go up as they are.
DO $legacy$
BEGIN
${drops.join('\n')}
END
$legacy$;`;
}

function dropStaleCaptures(model: EventsModel): string {
  const tables = model.sources.map((source) => `to_regclass(${T.literal(T.table(source.table))})`).join(', ');
  const functions = model.sources.map((source) => T.literal(source.captureName)).join(', ');
  return `-- Capture triggers and functions of tables that the declaration no longer names.
DO $stale$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT t.tgname, t.tgrelid::regclass::text AS rel FROM pg_trigger AS t
             WHERE NOT t.tgisinternal AND t.tgname IN ('sync_capture_insert', 'sync_capture_update')
               AND t.tgrelid <> ALL (array_remove(ARRAY[${tables}]::regclass[], NULL)) LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);
    END LOOP;
    FOR r IN SELECT p.proname FROM pg_proc AS p
             WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'sync\\_capture\\_%'
               AND p.proname NOT IN (${functions}) LOOP
        EXECUTE format('DROP FUNCTION %I()', r.proname);
    END LOOP;
END
$stale$;`;
}

function captureTrigger(source: SourceModel): string {
  const table = T.table(source.table);
  const fn = quoteIdentifier('postgres', source.captureName);
  const status = source.statusColumn;
  const now = status === null ? 'NULL' : T.statusText('NEW', status);
  const whenInserted = status === null || source.capturesInserts ? '' : ` WHEN (${inValues(T, now, source.watchedValues)})`;
  const update = status === null
    ? `DROP TRIGGER IF EXISTS sync_capture_update ON ${table};`
    : `DROP TRIGGER IF EXISTS sync_capture_update ON ${table};
CREATE TRIGGER sync_capture_update AFTER UPDATE OF ${quoteIdentifier('postgres', status)} ON ${table}
    FOR EACH ROW WHEN (${T.column('OLD', status)} IS DISTINCT FROM ${T.column('NEW', status)}
                       AND (${inValues(T, now, source.watchedValues)} OR ${inValues(T, T.statusText('OLD', status), source.watchedValues)}))
    EXECUTE FUNCTION ${fn}();`;
  return `-- ${source.id}: ${source.events.map((event) => event.type).join(', ')}.
CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $capture$
BEGIN
    INSERT INTO sync_capture (source_name, key_text, op, new_status)
    VALUES (${T.literal(source.id)}, ${T.keyText('NEW', source.key)}, CASE TG_OP WHEN 'INSERT' THEN 'I' ELSE 'U' END, ${now});
    RETURN NULL;
END
$capture$;
DROP TRIGGER IF EXISTS sync_capture_insert ON ${table};
CREATE TRIGGER sync_capture_insert AFTER INSERT ON ${table}
    FOR EACH ROW${whenInserted} EXECUTE FUNCTION ${fn}();
${update}`;
}

function seedExistingRows(source: SourceModel): string {
  const keyText = T.keyText('s', source.key);
  const status = source.statusColumn === null ? null : T.statusText('s', source.statusColumn);
  const values = seedValues(source);
  const notSeeded = (value: string) => `NOT EXISTS (SELECT 1 FROM sync_capture_seed AS x WHERE x.source_name = ${T.literal(source.id)} AND x.status_value = ${T.literal(value)})`;
  const rowFilter = values.map((value) => (value === '' || status === null ? notSeeded(value) : `(${status} = ${T.literal(value)} AND ${notSeeded(value)})`)).join('\n    OR ');
  const statusValues = values.filter((value) => value !== '');
  const catchUp = status === null || statusValues.length === 0 ? '' : `
UPDATE sync_event_state AS st SET last_status = ${status}, updated_at = now()
FROM ${T.table(source.table)} AS s
WHERE st.source_name = ${T.literal(source.id)} AND st.key_text = ${keyText}
  AND (${statusValues.map((value) => `(${status} = ${T.literal(value)} AND ${notSeeded(value)})`).join('\n    OR ')})
  AND st.last_status IS DISTINCT FROM ${status};`;
  return `-- ${source.id}: rows that exist now are not new events.${catchUp}
INSERT INTO sync_event_state (source_name, key_text, last_status, transitions)
SELECT ${T.literal(source.id)}, ${keyText}, ${status ?? 'NULL'}, 0
FROM ${T.table(source.table)} AS s
WHERE ${keyText} IS NOT NULL
  AND (${rowFilter})
ON CONFLICT (source_name, key_text) DO NOTHING;
INSERT INTO sync_capture_seed (source_name, status_value)
SELECT ${T.literal(source.id)}, v.status_value
FROM (VALUES ${values.map((value) => `(${T.literal(value)})`).join(', ')}) AS v (status_value)
ON CONFLICT (source_name, status_value) DO NOTHING;`;
}
