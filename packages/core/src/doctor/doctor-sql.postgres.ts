import type { DoctorStatements } from './doctor-sql.js';

/** PostgreSQL probes of doctor; same parameters and result columns as doctor-sql.mssql.ts. */
export const DOCTOR_SQL_POSTGRES: DoctorStatements = {
  // to_regclass answers NULL for a missing table instead of raising, so one statement reports missing objects and
  // missing privileges alike. A routine is found by its quoted name in the current schema (how central-api calls
  // its handlers).
  permissions: `SELECT j.name, j.permission, o.oid IS NOT NULL AS found,
       CASE WHEN o.oid IS NULL THEN NULL
            WHEN j.kind = 'routine' THEN has_function_privilege(o.oid, 'EXECUTE')
            ELSE has_table_privilege(o.oid, j.permission) END AS granted
FROM jsonb_to_recordset($1::jsonb) AS j(kind text, name text, permission text)
LEFT JOIN LATERAL (
    SELECT CASE WHEN j.kind = 'routine'
                THEN (SELECT p.oid FROM pg_proc AS p
                       WHERE '"' || replace(p.proname, '"', '""') || '"' = j.name
                         AND p.pronamespace = (SELECT n.oid FROM pg_namespace AS n WHERE n.nspname = current_schema())
                       LIMIT 1)
                ELSE to_regclass(j.name)::oid END AS oid
) AS o ON true`,
  schemaChanges: `SELECT CASE WHEN has_schema_privilege(current_schema(), 'CREATE') THEN 1 ELSE 0 END AS create_objects`,
  // PostgreSQL's collations are deterministic (byte-exact equality) unless created with deterministic = false
  // (ICU case- or accent-insensitive ones): only those can merge keys.
  keyCollations: `SELECT c.relname AS table_name, a.attname AS column_name, co.collname AS collation_name,
       CASE WHEN co.collisdeterministic THEN 0 ELSE 1 END AS insensitive
FROM jsonb_array_elements_text($1::jsonb) AS j(table_name)
JOIN pg_index AS i ON i.indrelid = to_regclass(j.table_name) AND i.indisprimary
JOIN pg_class AS c ON c.oid = i.indrelid
JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
JOIN pg_collation AS co ON co.oid = a.attcollation
ORDER BY c.relname, array_position(i.indkey::int2[], a.attnum)`,
  // tgenabled: O fires in ordinary sessions, A always; D is disabled and R fires only in replica sessions, so
  // neither fires for the POS.
  triggers: `SELECT n.nspname AS schema_name, c.relname AS table_name, t.tgname AS trigger_name,
       CASE WHEN t.tgenabled IN ('D', 'R') THEN 1 ELSE 0 END AS disabled
FROM pg_trigger AS t
JOIN pg_class AS c ON c.oid = t.tgrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal`,
  clock: `SELECT clock_timestamp() AS now_utc`,
};
