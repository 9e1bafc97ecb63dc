/**
 * SQL Server statements of the outbox worker. Multi-row arguments travel as one JSON array parameter read with
 * OPENJSON, which keeps each statement a single round trip without table types. Times are UTC
 * (SYSUTCDATETIME), from the database clock.
 */
const OUTPUT_COLUMNS = `inserted.outbox_id, LOWER(CONVERT(varchar(36), inserted.event_id)) AS event_id, inserted.event_type,
  inserted.stream_key, inserted.payload, CONVERT(varchar(33), inserted.created_at, 126) AS created_at,
  inserted.attempts, inserted.claim_count, inserted.lease_owner`;

/**
 * Every statement that writes the outbox starts with this. A sale and push-service can deadlock over outbox rows
 * (a trigger refreshing a payload against a claim, say); the sale must win, so push-service's statements are the
 * victims, and their callers retry them. With parameters, mssql runs the text through sp_executesql, which puts
 * the setting back when the statement ends; without, the transaction around it does (core's mssql adapter resets
 * DEADLOCK_PRIORITY after any transaction that changed it), so each one runs inside a transaction.
 */
const LOW_PRIORITY = 'SET DEADLOCK_PRIORITY LOW;';

/**
 * The PostgreSQL claim (outbox-sql.postgres.ts), in SQL Server's terms: at most a 1/@p4 share of the streams with
 * pending rows, each stream's head locked as its mutex, each claimed stream an equal share of the @p3 rows (a
 * shrinking prefix for a head claimed before without a result). Runs inside a transaction: the head locks are held
 * until the lease is written and committed.
 *
 * Nothing here waits for the rows that running sales hold (their new, uncommitted rows, or a payload they are
 * refreshing); only the final UPDATE can wait, for a row a sale locked in the microseconds since it was read.
 * 1. The heads: the lowest pending outbox_id of every stream, read without locks (READUNCOMMITTED), so the rows
 *    of running sales count too. A read that skipped locked rows (READPAST) would make a locked head's successor
 *    the head, and two lanes could then hold one stream; a head found here but locked by another transaction is
 *    instead skipped by step 2, and its stream with it. A head read dirty is only a candidate: what decides is
 *    read again under the lock. (The dirty read sees push-service's own uncommitted outcomes too; a row shown as
 *    sent has been delivered already, so a successor claimed on the strength of it goes up after it.)
 * 2. The locks: candidates due and not leased, oldest first, locked by id (UPDLOCK, READPAST: a head another
 *    transaction holds is skipped), with every condition checked again on the locked row in the same seek, so
 *    that a rejected row keeps no lock (a filter applied after the seek, say a join or a TOP, would leave U locks
 *    on rows it rejects). Batches of candidates until the share is locked or none is left, as SKIP LOCKED with a
 *    LIMIT does. A head that is no longer its stream's lowest pending row is dropped; its lock stays until commit.
 * 3. The prefix of each claimed stream, up to its share, read without locks, and cut before the first row
 *    another transaction holds (seen by the dirty read, not by READPAST): a row a sale is still inserting or
 *    editing, and whatever follows it, waits for the next claim. Skipping over it would break the stream's order.
 * 4. The lease on those rows, returned in outbox order.
 *
 * READPAST needs the READ COMMITTED (locking) isolation level: SNAPSHOT refuses it, and with the database option
 * READ_COMMITTED_SNAPSHOT on, READPAST needs READCOMMITTEDLOCK: every READPAST here carries it.
 * The claim's transaction is READ COMMITTED, and core puts the isolation level back after every transaction that
 * changed it, so a SNAPSHOT reader on the same pooled connection cannot leak into it.
 */
export const claimBatch = `${LOW_PRIORITY}
DECLARE @now datetime2(3) = SYSUTCDATETIME();
DECLARE @owner varchar(64) = @p1;
DECLARE @heads TABLE (outbox_id bigint PRIMARY KEY, stream_key nvarchar(128) NOT NULL);
INSERT INTO @heads (outbox_id, stream_key)
SELECT MIN(h.outbox_id), h.stream_key
FROM dbo.sync_outbox AS h WITH (READUNCOMMITTED)
WHERE h.sent_at IS NULL
GROUP BY h.stream_key;
-- At most a 1/@p4 share of the streams with pending rows (leased ones included), so that the other lanes find streams to claim.
DECLARE @share int = (SELECT (COUNT(*) + @p4 - 1) / @p4 FROM @heads);
IF @share > @p3 SET @share = @p3;
DECLARE @candidates TABLE (position int PRIMARY KEY, outbox_id bigint NOT NULL);
INSERT INTO @candidates (position, outbox_id)
SELECT ROW_NUMBER() OVER (ORDER BY o.next_attempt_at, o.outbox_id), o.outbox_id
FROM @heads AS h
JOIN dbo.sync_outbox AS o WITH (READUNCOMMITTED, FORCESEEK) ON o.outbox_id = h.outbox_id
WHERE o.next_attempt_at <= @now AND (o.lease_until IS NULL OR o.lease_until < @now OR o.lease_owner = @owner);
DECLARE @claimed TABLE (outbox_id bigint PRIMARY KEY, stream_key nvarchar(128) NOT NULL, claim_count int NOT NULL);
DECLARE @left int = (SELECT COUNT(*) FROM @candidates);
DECLARE @tried int = 0;
DECLARE @locked int = 0;
DECLARE @batch int;
WHILE @locked < @share AND @tried < @left
BEGIN
  SET @batch = @share - @locked;
  INSERT INTO @claimed (outbox_id, stream_key, claim_count)
  -- Claims before this one that never reached a result; this very claim's earlier attempt does not count.
  SELECT o.outbox_id, o.stream_key, o.claim_count - CASE WHEN o.lease_owner = @owner THEN 1 ELSE 0 END
  FROM @candidates AS c
  JOIN dbo.sync_outbox AS o WITH (UPDLOCK, READPAST, READCOMMITTEDLOCK, ROWLOCK, FORCESEEK) ON o.outbox_id = c.outbox_id
  WHERE c.position > @tried AND c.position <= @tried + @batch
    AND o.sent_at IS NULL
    AND o.next_attempt_at <= @now
    -- A head leased to this very claim (@owner) was taken by an attempt whose commit was not acknowledged: take it again.
    AND (o.lease_until IS NULL OR o.lease_until < @now OR o.lease_owner = @owner);
  SET @locked = @locked + @@ROWCOUNT;
  SET @tried = @tried + @batch;
END;
DELETE c
FROM @claimed AS c
WHERE EXISTS (SELECT 1 FROM dbo.sync_outbox AS e WITH (READUNCOMMITTED)
              WHERE e.stream_key = c.stream_key AND e.sent_at IS NULL AND e.outbox_id < c.outbox_id);
-- Each claimed stream gets an equal share of the batch: streams progress side by side, and no stream's prefix is
-- read further than the batch can hold.
DECLARE @streams int = (SELECT COUNT(*) FROM @claimed);
DECLARE @fair int = CASE WHEN @streams = 0 THEN 0 ELSE (@p3 + @streams - 1) / @streams END;
DECLARE @prefix TABLE (outbox_id bigint PRIMARY KEY, stream_key nvarchar(128) NOT NULL, held bit NOT NULL);
INSERT INTO @prefix (outbox_id, stream_key, held)
SELECT r.outbox_id, c.stream_key, CASE WHEN v.outbox_id IS NULL THEN 1 ELSE 0 END
FROM @claimed AS c
CROSS APPLY (
  SELECT TOP (CASE c.claim_count WHEN 0 THEN @fair WHEN 1 THEN (CASE WHEN @fair / 4 > 1 THEN @fair / 4 ELSE 1 END)
    WHEN 2 THEN (CASE WHEN @fair / 16 > 1 THEN @fair / 16 ELSE 1 END) ELSE 1 END) s.outbox_id
  FROM dbo.sync_outbox AS s WITH (READUNCOMMITTED)
  WHERE s.stream_key = c.stream_key AND s.sent_at IS NULL AND s.outbox_id >= c.outbox_id
  ORDER BY s.outbox_id
) AS r
LEFT JOIN dbo.sync_outbox AS v WITH (READPAST, READCOMMITTEDLOCK, ROWLOCK, FORCESEEK) ON v.outbox_id = r.outbox_id;
UPDATE u
SET lease_owner = @owner, lease_until = DATEADD(millisecond, @p2, @now),
  claim_count = u.claim_count + CASE WHEN u.lease_owner = @owner THEN 0 ELSE 1 END
OUTPUT ${OUTPUT_COLUMNS}
FROM dbo.sync_outbox AS u WITH (ROWLOCK, FORCESEEK)
JOIN (
  SELECT TOP (@p3) p.outbox_id
  FROM @prefix AS p
  WHERE NOT EXISTS (SELECT 1 FROM @prefix AS q WHERE q.stream_key = p.stream_key AND q.held = 1 AND q.outbox_id <= p.outbox_id)
  ORDER BY p.outbox_id
) AS k ON k.outbox_id = u.outbox_id
WHERE u.sent_at IS NULL;`;

export const markSent = `${LOW_PRIORITY}
UPDATE o
SET sent_at = SYSUTCDATETIME(), lease_owner = NULL, lease_until = NULL, claim_count = 0, last_status = d.status, last_error = NULL
FROM dbo.sync_outbox AS o
JOIN OPENJSON(@p1) WITH (outbox_id bigint '$.id', status int '$.status') AS d ON d.outbox_id = o.outbox_id
WHERE o.sent_at IS NULL;`;

/** Only while the claim that sent the row still holds it: see the PostgreSQL twin. */
export const scheduleRetry = `${LOW_PRIORITY}
UPDATE o
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
export const moveToDeadLetters = `${LOW_PRIORITY}
DECLARE @moved TABLE (outbox_id bigint, event_id uniqueidentifier, event_type varchar(64), stream_key nvarchar(128),
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

/**
 * @p1 is the worker; each of its claims is leased as '<worker>/<claim>'. lease_owner is varchar: the worker is
 * compared as varchar too, so SQL Server does not convert the column on every row. There is no index on lease_owner
 * and the prefix test cannot seek anyway: this scans the unsent rows and may wait on a row a sale holds. It runs only
 * when the worker starts and stops, never in the delivery loop.
 */
export const releaseLeases = `${LOW_PRIORITY}
DECLARE @worker varchar(64) = @p1;
UPDATE dbo.sync_outbox
SET lease_owner = NULL, lease_until = NULL, claim_count = CASE WHEN claim_count > 0 THEN claim_count - 1 ELSE 0 END
WHERE (lease_owner = @worker OR LEFT(lease_owner, LEN(@worker) + 1) = @worker + '/') AND sent_at IS NULL;`;

/**
 * Sent rows only, which no sale writes; READPAST passes over a row something else holds (it goes at the next
 * purge) and ROWLOCK keeps the delete off the pages that sales insert into. At most PUSH_RETENTION_BATCH rows, which
 * the configuration keeps well below the 5,000 locks on one index at which SQL Server would try to escalate to a
 * table lock, which would stop every sale until the purge commits.
 */
export const purgeSent = `${LOW_PRIORITY}
DELETE TOP (@p2) FROM dbo.sync_outbox WITH (READPAST, READCOMMITTEDLOCK, ROWLOCK)
WHERE sent_at IS NOT NULL AND sent_at < DATEADD(hour, -@p1, SYSUTCDATETIME());`;

/** Figures for metrics and health: READPAST, so that they never wait for a running sale's rows. */
export const backlog = `SELECT
  (SELECT COUNT_BIG(*) FROM dbo.sync_outbox WITH (READPAST, READCOMMITTEDLOCK) WHERE sent_at IS NULL) AS pending,
  (SELECT COUNT_BIG(*) FROM dbo.sync_outbox WITH (READPAST, READCOMMITTEDLOCK) WHERE sent_at IS NULL AND lease_until > SYSUTCDATETIME()) AS in_flight,
  (SELECT DATEDIFF_BIG(second, MIN(created_at), SYSUTCDATETIME()) FROM dbo.sync_outbox WITH (READPAST, READCOMMITTEDLOCK) WHERE sent_at IS NULL) AS oldest_age_s,
  (SELECT COUNT_BIG(*) FROM dbo.sync_dead_letter) AS dead_letters;`;

const DEAD_COLUMNS = `outbox_id, LOWER(CONVERT(varchar(36), event_id)) AS event_id, event_type, stream_key, payload,
  CONVERT(varchar(33), created_at, 126) AS created_at, attempts, last_status, reason, CONVERT(varchar(33), dead_at, 126) AS dead_at`;
export const listDeadLetters = `SELECT TOP (@p1) ${DEAD_COLUMNS} FROM dbo.sync_dead_letter ORDER BY outbox_id;`;
export const findDeadLetter = `SELECT ${DEAD_COLUMNS} FROM dbo.sync_dead_letter WHERE event_id = CONVERT(uniqueidentifier, @p1);`;

export const requeueDeadLetters = `${LOW_PRIORITY}
DECLARE @moved TABLE (outbox_id bigint, event_id uniqueidentifier, event_type varchar(64), stream_key nvarchar(128),
  payload nvarchar(max), created_at datetime2(3));
DELETE FROM dbo.sync_dead_letter
OUTPUT deleted.outbox_id, deleted.event_id, deleted.event_type, deleted.stream_key, deleted.payload, deleted.created_at INTO @moved
WHERE @p1 IS NULL OR event_id = CONVERT(uniqueidentifier, @p1);
INSERT INTO dbo.sync_outbox (event_id, event_type, stream_key, payload, created_at)
OUTPUT LOWER(CONVERT(varchar(36), inserted.event_id)) AS event_id
SELECT event_id, event_type, stream_key, payload, created_at FROM @moved ORDER BY outbox_id;`;
