/**
 * PostgreSQL statements that turn captures into outbox events; the twins of capture-sql.mssql.ts, which
 * explains them. Multi-row arguments travel as one JSON array read with json_to_recordset, as on SQL Server.
 */

export const readInstallation = `SELECT installation_id::text AS installation_id FROM sync_installation ORDER BY created_at DESC LIMIT 1`;

export const renewInstallation = `UPDATE sync_installation SET installation_id = gen_random_uuid(), created_at = now()
RETURNING installation_id::text AS installation_id`;

export const readInstalledDeclaration = `SELECT declaration_hash FROM sync_event_declaration`;

/** A plain read sees committed captures only: a running sale's capture is read next time, and never waited for. */
export const readCaptures = `SELECT c.capture_id, c.source_name, c.key_text, c.op, c.new_status
FROM sync_capture AS c
ORDER BY c.capture_id
LIMIT $1`;

export const readStates = `SELECT st.source_name, st.key_text, st.last_status, st.transitions
FROM sync_event_state AS st
JOIN json_to_recordset($1::json) AS k (s varchar, k varchar) ON k.s = st.source_name AND k.k = st.key_text`;

/** One round at a time; the lock ends with the transaction. */
export const lockRounds = `SELECT pg_advisory_xact_lock(hashtext('goldpdv-sync-capture')) IS NULL AS result`;

export const deleteCaptures = `DELETE FROM sync_capture AS c
USING json_array_elements_text($1::json) AS k (capture_id)
WHERE c.capture_id = k.capture_id::bigint`;

export const updateStates = `UPDATE sync_event_state AS st
SET last_status = k.status, transitions = k.n, updated_at = now()
FROM json_to_recordset($1::json) AS k (s varchar, k varchar, status varchar, n integer, "wasStatus" varchar, "wasN" integer)
WHERE k.s = st.source_name AND k.k = st.key_text
  AND st.transitions = k."wasN" AND st.last_status IS NOT DISTINCT FROM k."wasStatus"`;

export const insertStates = `INSERT INTO sync_event_state (source_name, key_text, last_status, transitions)
SELECT k.s, k.k, k.status, k.n
FROM json_to_recordset($1::json) AS k (s varchar, k varchar, status varchar, n integer)`;

export const insertEvents = `INSERT INTO sync_outbox (event_id, event_type, stream_key, payload)
SELECT e.id, e.type, e.stream, e.payload
FROM json_to_recordset($1::json) AS e (id uuid, type varchar, stream varchar, payload text, ord integer)
WHERE NOT EXISTS (SELECT 1 FROM sync_outbox AS o WHERE o.event_id = e.id)
  AND NOT EXISTS (SELECT 1 FROM sync_dead_letter AS d WHERE d.event_id = e.id)
ORDER BY e.ord`;

export const moveUnbuilt = `WITH moved AS (
  DELETE FROM sync_outbox AS o
  USING json_to_recordset($1::json) AS d (id uuid, reason varchar)
  WHERE o.event_id = d.id AND o.sent_at IS NULL AND o.attempts = 0
  RETURNING o.outbox_id, o.event_id, o.event_type, o.stream_key, o.payload, o.created_at, o.next_attempt_at, d.reason
)
INSERT INTO sync_dead_letter (outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, claim_count, next_attempt_at, reason)
SELECT outbox_id, event_id, event_type, stream_key, payload, created_at, 0, 0, next_attempt_at, left(reason, 2000)
FROM moved`;

export const readUnbuilt = `SELECT outbox_id, event_id::text AS event_id, event_type, payload
FROM sync_dead_letter
WHERE reason LIKE 'payload not built:%' AND ($1::uuid IS NULL OR event_id = $1::uuid)
ORDER BY outbox_id`;

export const requeueRebuilt = `WITH gone AS (DELETE FROM sync_dead_letter WHERE event_id = $1::uuid RETURNING event_id)
INSERT INTO sync_outbox (event_id, event_type, stream_key, payload)
SELECT event_id, $2, $3, $4 FROM gone`;
