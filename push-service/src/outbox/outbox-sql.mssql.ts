/**
 * SQL Server statements of the outbox worker. Multi-row arguments travel as one JSON array parameter read with
 * OPENJSON, which keeps each statement a single round trip without table types. Times are UTC
 * (SYSUTCDATETIME), from the database clock.
 */
const OUTPUT_COLUMNS = `inserted.outbox_id, LOWER(CONVERT(varchar(36), inserted.event_id)) AS event_id, inserted.event_type,
  inserted.stream_key, inserted.payload, CONVERT(varchar(33), inserted.created_at, 126) AS created_at,
  inserted.attempts, inserted.claim_count, inserted.lease_owner`;

/**
 * Same rules as the PostgreSQL claim: the stream's head decides, heads are locked with UPDLOCK + READPAST so
 * two workers skip each other's streams, a head claimed before without a result takes a shrinking prefix. Must run inside a
 * transaction so that the head locks are held until the lease is written.
 */
export const claimBatch = `DECLARE @now datetime2(3) = SYSUTCDATETIME();
-- At most a 1/@p4 share of the streams with pending rows, so that the other lanes find streams to claim.
DECLARE @streams int = (SELECT COUNT(DISTINCT p.stream_key) FROM dbo.sync_outbox AS p WHERE p.sent_at IS NULL);
DECLARE @share int = (@streams + @p4 - 1) / @p4;
DECLARE @heads TABLE (outbox_id bigint PRIMARY KEY, stream_key nvarchar(128) NOT NULL, claim_count int NOT NULL);
INSERT INTO @heads (outbox_id, stream_key, claim_count)
SELECT TOP (CASE WHEN @share < @p3 THEN @share ELSE @p3 END) o.outbox_id, o.stream_key,
  o.claim_count - CASE WHEN o.lease_owner = @p1 THEN 1 ELSE 0 END
FROM dbo.sync_outbox AS o WITH (UPDLOCK, READPAST, ROWLOCK)
WHERE o.sent_at IS NULL
  AND o.next_attempt_at <= @now
  AND (o.lease_until IS NULL OR o.lease_until < @now OR o.lease_owner = @p1)
  AND o.outbox_id = (SELECT MIN(h.outbox_id) FROM dbo.sync_outbox AS h WHERE h.stream_key = o.stream_key AND h.sent_at IS NULL)
ORDER BY o.next_attempt_at, o.outbox_id;
UPDATE u
SET lease_owner = @p1, lease_until = DATEADD(millisecond, @p2, @now),
  claim_count = u.claim_count + CASE WHEN u.lease_owner = @p1 THEN 0 ELSE 1 END
OUTPUT ${OUTPUT_COLUMNS}
FROM dbo.sync_outbox AS u
JOIN (
  SELECT TOP (@p3) r.outbox_id
  FROM @heads AS c
  CROSS APPLY (
    SELECT TOP (CASE c.claim_count WHEN 0 THEN @p3 WHEN 1 THEN (CASE WHEN @p3 / 4 > 1 THEN @p3 / 4 ELSE 1 END)
      WHEN 2 THEN (CASE WHEN @p3 / 16 > 1 THEN @p3 / 16 ELSE 1 END) ELSE 1 END) s.outbox_id
    FROM dbo.sync_outbox AS s
    WHERE s.stream_key = c.stream_key AND s.sent_at IS NULL
    ORDER BY s.outbox_id
  ) AS r
  ORDER BY r.outbox_id
) AS p ON p.outbox_id = u.outbox_id;`;

export const markSent = `UPDATE o
SET sent_at = SYSUTCDATETIME(), lease_owner = NULL, lease_until = NULL, claim_count = 0, last_status = d.status, last_error = NULL
FROM dbo.sync_outbox AS o
JOIN OPENJSON(@p1) WITH (outbox_id bigint '$.id', status int '$.status') AS d ON d.outbox_id = o.outbox_id
WHERE o.sent_at IS NULL;`;

/** Only while the claim that sent the row still holds it: see the PostgreSQL twin. */
export const scheduleRetry = `UPDATE o
SET attempts = o.attempts + 1,
    next_attempt_at = DATEADD(millisecond, d.delay_ms, SYSUTCDATETIME()),
    last_error = LEFT(d.error, 2000),
    last_status = d.status,
    lease_owner = NULL,
    lease_until = NULL,
    claim_count = 0
OUTPUT inserted.outbox_id
FROM dbo.sync_outbox AS o
JOIN OPENJSON(@p1) WITH (outbox_id bigint '$.id', delay_ms int '$.delayMs', error nvarchar(max) '$.error', status int '$.status',
  owner varchar(64) '$.owner') AS d
  ON d.outbox_id = o.outbox_id
WHERE o.sent_at IS NULL AND o.lease_owner = d.owner;`;

/**
 * Deletes first and copies what was deleted, so that exactly the rows deleted are the rows copied even if a
 * claim changes a row between the two statements; only while the claim that sent the row still holds it.
 */
export const moveToDeadLetters = `DECLARE @moved TABLE (outbox_id bigint, event_id uniqueidentifier, event_type varchar(64), stream_key nvarchar(128),
  payload nvarchar(max), created_at datetime2(3), attempts int, claim_count int, next_attempt_at datetime2(3), lease_owner varchar(64),
  lease_until datetime2(3), last_error nvarchar(2000), sent_at datetime2(3), reason nvarchar(max), status int);
DELETE o
OUTPUT deleted.outbox_id, deleted.event_id, deleted.event_type, deleted.stream_key, deleted.payload, deleted.created_at, deleted.attempts,
  deleted.claim_count, deleted.next_attempt_at, deleted.lease_owner, deleted.lease_until, deleted.last_error, deleted.sent_at, d.reason, d.status
  INTO @moved
FROM dbo.sync_outbox AS o
JOIN OPENJSON(@p1) WITH (outbox_id bigint '$.id', reason nvarchar(max) '$.reason', status int '$.status', owner varchar(64) '$.owner') AS d
  ON d.outbox_id = o.outbox_id
WHERE o.sent_at IS NULL AND o.lease_owner = d.owner;
INSERT INTO dbo.sync_dead_letter (outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, claim_count,
  next_attempt_at, lease_owner, lease_until, last_error, last_status, sent_at, reason)
SELECT outbox_id, event_id, event_type, stream_key, payload, created_at, attempts + 1, claim_count,
  next_attempt_at, lease_owner, lease_until, last_error, status, sent_at, LEFT(reason, 2000)
FROM @moved;
SELECT outbox_id FROM @moved;`;

/** @p1 is the worker; each of its claims is leased as '<worker>/<claim>'. */
export const releaseLeases = `UPDATE dbo.sync_outbox
SET lease_owner = NULL, lease_until = NULL, claim_count = CASE WHEN claim_count > 0 THEN claim_count - 1 ELSE 0 END
WHERE (lease_owner = @p1 OR LEFT(lease_owner, LEN(@p1) + 1) = @p1 + N'/') AND sent_at IS NULL;`;

export const purgeSent = `DELETE TOP (@p2) FROM dbo.sync_outbox
WHERE sent_at IS NOT NULL AND sent_at < DATEADD(hour, -@p1, SYSUTCDATETIME());`;

export const backlog = `SELECT
  (SELECT COUNT_BIG(*) FROM dbo.sync_outbox WHERE sent_at IS NULL) AS pending,
  (SELECT COUNT_BIG(*) FROM dbo.sync_outbox WHERE sent_at IS NULL AND lease_until > SYSUTCDATETIME()) AS in_flight,
  (SELECT DATEDIFF_BIG(second, MIN(created_at), SYSUTCDATETIME()) FROM dbo.sync_outbox WHERE sent_at IS NULL) AS oldest_age_s,
  (SELECT COUNT_BIG(*) FROM dbo.sync_dead_letter) AS dead_letters;`;

const DEAD_COLUMNS = `outbox_id, LOWER(CONVERT(varchar(36), event_id)) AS event_id, event_type, stream_key, payload,
  CONVERT(varchar(33), created_at, 126) AS created_at, attempts, last_status, reason, CONVERT(varchar(33), dead_at, 126) AS dead_at`;
export const listDeadLetters = `SELECT TOP (@p1) ${DEAD_COLUMNS} FROM dbo.sync_dead_letter ORDER BY outbox_id;`;
export const findDeadLetter = `SELECT ${DEAD_COLUMNS} FROM dbo.sync_dead_letter WHERE event_id = @p1;`;

export const requeueDeadLetters = `DECLARE @moved TABLE (outbox_id bigint, event_id uniqueidentifier, event_type varchar(64), stream_key nvarchar(128),
  payload nvarchar(max), created_at datetime2(3));
DELETE FROM dbo.sync_dead_letter
OUTPUT deleted.outbox_id, deleted.event_id, deleted.event_type, deleted.stream_key, deleted.payload, deleted.created_at INTO @moved
WHERE @p1 IS NULL OR event_id = @p1;
INSERT INTO dbo.sync_outbox (event_id, event_type, stream_key, payload, created_at)
OUTPUT LOWER(CONVERT(varchar(36), inserted.event_id)) AS event_id
SELECT event_id, event_type, stream_key, payload, created_at FROM @moved ORDER BY outbox_id;`;
