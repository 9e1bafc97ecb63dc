/**
 * SQL Server statements that turn captures into outbox events (capture-store.ts runs them). Multi-row arguments
 * travel as one JSON array read with OPENJSON, typed as the columns they meet (varchar for key_text, so that no
 * nvarchar value makes SQL Server convert the column). None of them touches a POS table.
 */

export const readInstallation = `SELECT TOP (1) LOWER(CONVERT(varchar(36), installation_id)) AS installation_id
FROM dbo.sync_installation ORDER BY created_at DESC;`;

/** A restored backup carries the installation id of the database it was taken from: a new one keeps ids apart. */
export const renewInstallation = `UPDATE dbo.sync_installation SET installation_id = NEWID(), created_at = SYSUTCDATETIME();
SELECT LOWER(CONVERT(varchar(36), installation_id)) AS installation_id FROM dbo.sync_installation;`;

export const readInstalledDeclaration = `SELECT declaration_hash FROM dbo.sync_event_declaration;`;

/**
 * The oldest captures, at most @p1. READPAST skips the rows of POS transactions still running (their captures
 * are not committed; they are read next time), so this never waits for a sale; READCOMMITTEDLOCK makes READPAST
 * valid on a database with READ_COMMITTED_SNAPSHOT on.
 */
export const readCaptures = `SELECT TOP (@p1) c.capture_id, c.source_name, c.key_text, c.op, c.new_status
FROM dbo.sync_capture AS c WITH (READCOMMITTEDLOCK, READPAST)
ORDER BY c.capture_id;`;

export const readStates = `SELECT st.source_name, st.key_text, st.last_status, st.transitions
FROM dbo.sync_event_state AS st
JOIN OPENJSON(@p1) WITH (source_name nvarchar(128) '$.s', key_text varchar(200) '$.k') AS k
  ON k.source_name = st.source_name AND k.key_text = st.key_text;`;

/**
 * First statement of the transaction that records a round: one round at a time (two push-service processes on
 * one PDV would otherwise both turn the same capture into an event), waiting at most 10 s. DEADLOCK_PRIORITY LOW:
 * should this ever deadlock with a sale, the sale wins; core's adapter puts the setting back after the transaction.
 */
export const lockRounds = `SET DEADLOCK_PRIORITY LOW;
DECLARE @result int;
EXEC @result = sp_getapplock @Resource = N'goldpdv-sync-capture', @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 10000;
SELECT @result AS result;`;

export const deleteCaptures = `DELETE c
FROM dbo.sync_capture AS c WITH (ROWLOCK)
JOIN OPENJSON(@p1) WITH (capture_id bigint '$') AS k ON k.capture_id = c.capture_id;`;

/** Only where the state is still what the round read (was_*): otherwise the round is rolled back and redone. */
export const updateStates = `UPDATE st
SET last_status = k.last_status, transitions = k.transitions, updated_at = SYSUTCDATETIME()
FROM dbo.sync_event_state AS st
JOIN OPENJSON(@p1) WITH (source_name nvarchar(128) '$.s', key_text varchar(200) '$.k', last_status nvarchar(100) '$.status',
  transitions int '$.n', was_status nvarchar(100) '$.wasStatus', was_transitions int '$.wasN') AS k
  ON k.source_name = st.source_name AND k.key_text = st.key_text
WHERE st.transitions = k.was_transitions
  AND (st.last_status = k.was_status OR (st.last_status IS NULL AND k.was_status IS NULL));`;

export const insertStates = `INSERT INTO dbo.sync_event_state (source_name, key_text, last_status, transitions)
SELECT k.source_name, k.key_text, k.last_status, k.transitions
FROM OPENJSON(@p1) WITH (source_name nvarchar(128) '$.s', key_text varchar(200) '$.k', last_status nvarchar(100) '$.status', transitions int '$.n') AS k;`;

/**
 * The round's events, in their order (outbox_id, from the sequence default, follows ORDER BY). An id the outbox or
 * the dead letters hold already is left out rather than fail the whole round on the unique key.
 */
export const insertEvents = `INSERT INTO dbo.sync_outbox (event_id, event_type, stream_key, payload)
SELECT e.event_id, e.event_type, e.stream_key, e.payload
FROM OPENJSON(@p1) WITH (event_id uniqueidentifier '$.id', event_type varchar(64) '$.type', stream_key nvarchar(128) '$.stream',
  payload nvarchar(max) '$.payload', ord int '$.ord') AS e
WHERE NOT EXISTS (SELECT 1 FROM dbo.sync_outbox AS o WHERE o.event_id = e.event_id)
  AND NOT EXISTS (SELECT 1 FROM dbo.sync_dead_letter AS d WHERE d.event_id = e.event_id)
ORDER BY e.ord;`;

/**
 * Events whose payload could not be built go to the dead letters with their reason, in the same transaction as
 * the insert above: deleted from the outbox and copied, as moveToDeadLetters does, before any claim can see them.
 */
export const moveUnbuilt = `DECLARE @moved TABLE (outbox_id bigint, event_id uniqueidentifier, event_type varchar(64), stream_key nvarchar(128),
  payload nvarchar(max), created_at datetime2(3), next_attempt_at datetime2(3), reason nvarchar(2000));
DELETE o
OUTPUT deleted.outbox_id, deleted.event_id, deleted.event_type, deleted.stream_key, deleted.payload, deleted.created_at,
  deleted.next_attempt_at, d.reason INTO @moved
FROM dbo.sync_outbox AS o
JOIN OPENJSON(@p1) WITH (event_id uniqueidentifier '$.id', reason nvarchar(2000) '$.reason') AS d ON d.event_id = o.event_id
WHERE o.sent_at IS NULL AND o.attempts = 0;
INSERT INTO dbo.sync_dead_letter (outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, claim_count,
  next_attempt_at, reason)
SELECT outbox_id, event_id, event_type, stream_key, payload, created_at, 0, 0, next_attempt_at, reason
FROM @moved;`;

/** A dead letter whose payload was never built, for `events rebuild`: its marker payload says what to build. */
export const readUnbuilt = `SELECT outbox_id, LOWER(CONVERT(varchar(36), event_id)) AS event_id, event_type, payload
FROM dbo.sync_dead_letter
WHERE reason LIKE N'payload not built:%' AND (@p1 IS NULL OR event_id = CONVERT(uniqueidentifier, @p1))
ORDER BY outbox_id;`;

/** The rebuilt event back into the outbox with its id, in one transaction with the dead letter's removal. */
export const requeueRebuilt = `DELETE FROM dbo.sync_dead_letter WHERE event_id = CONVERT(uniqueidentifier, @p1);
IF @@ROWCOUNT = 1
INSERT INTO dbo.sync_outbox (event_id, event_type, stream_key, payload) VALUES (CONVERT(uniqueidentifier, @p1), @p2, @p3, @p4);`;
