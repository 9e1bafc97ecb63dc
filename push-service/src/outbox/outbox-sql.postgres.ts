/**
 * PostgreSQL statements of the outbox worker. Times come from the database clock (now()), so that several
 * workers, even on different machines, agree on leases and schedules.
 *
 * The SQL Server twin carries READCOMMITTEDLOCK beside READPAST (under READ_COMMITTED_SNAPSHOT, READPAST is
 * refused without it) and ROWLOCK/FORCESEEK to keep its locks to the rows it seeks. PostgreSQL needs neither:
 * FOR UPDATE SKIP LOCKED locks the newest committed version of each row it returns and skips, never waits on, a
 * row another transaction holds, in the read-committed transactions the claim runs in; row locks never escalate.
 */
const ROW_COLUMNS = 'outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, claim_count, lease_owner';

/**
 * Claims up to $3 rows under a lease for owner $1 of $2 ms, from at most a 1/$4 share of the streams. Only the
 * head (oldest unsent row) of a stream decides whether the stream may move: it must be due and not leased. Locking the heads with SKIP LOCKED makes
 * the head the stream's mutex, so two workers never hold rows of one stream at once; the rows taken are a
 * prefix of each stream, so FIFO holds. A head already claimed before without a result (claim_count > 0:
 * the worker died holding it) takes a smaller prefix each time (a quarter, a sixteenth, then alone), which
 * narrows in on a poison row in a few claims while a random crash costs little more than one batch.
 * `sent_at IS NULL` is repeated on the locked relation because a row sent after this statement's snapshot
 * is re-checked against its newest version only on the locking level.
 */
export const claimBatch = `WITH RECURSIVE heads AS (
  -- A skip scan of ix_sync_outbox_stream: one index probe per stream instead of reading the whole backlog.
  (SELECT stream_key, outbox_id FROM sync_outbox WHERE sent_at IS NULL ORDER BY stream_key, outbox_id LIMIT 1)
  UNION ALL
  SELECT next.stream_key, next.outbox_id
  FROM heads h
  CROSS JOIN LATERAL (
    SELECT s.stream_key, s.outbox_id FROM sync_outbox s
    WHERE s.sent_at IS NULL AND s.stream_key > h.stream_key
    ORDER BY s.stream_key, s.outbox_id
    LIMIT 1
  ) next
), due AS (
  -- Claims before this one that never reached a result; this very claim's earlier attempt does not count.
  SELECT o.outbox_id, o.stream_key, o.claim_count - CASE WHEN o.lease_owner = $1 THEN 1 ELSE 0 END AS claim_count
  FROM sync_outbox o
  -- The heads by id: joined, the heads were matched against a scan of the whole backlog whenever the
  -- statistics did not know the backlog yet (a fresh table, or one that just grew during an outage).
  WHERE o.outbox_id = ANY (ARRAY(SELECT outbox_id FROM heads))
    AND o.sent_at IS NULL
    AND o.next_attempt_at <= now()
    -- A head leased to this very claim ($1) was taken by an attempt whose commit was not acknowledged: take it again.
    AND (o.lease_until IS NULL OR o.lease_until < now() OR o.lease_owner = $1)
  ORDER BY o.next_attempt_at, o.outbox_id
  -- At most a 1/$4 share of the streams with pending rows: a claim that took every stream would leave the
  -- other lanes ($4 in all) nothing to claim until it is recorded, and the lanes would run one at a time.
  LIMIT LEAST($3, CEIL((SELECT COUNT(*) FROM heads)::numeric / $4::int)::int)
  FOR UPDATE OF o SKIP LOCKED
), shares AS (
  -- Each due stream gets an equal share of the batch: streams progress side by side, and no stream's prefix is
  -- read further than the batch can hold.
  SELECT due.*, CEIL($3::numeric / COUNT(*) OVER ())::int AS fair_share FROM due
), picked AS (
  SELECT r.outbox_id
  FROM shares d
  CROSS JOIN LATERAL (
    SELECT s.outbox_id
    FROM sync_outbox s
    WHERE s.stream_key = d.stream_key AND s.sent_at IS NULL
    ORDER BY s.outbox_id
    LIMIT CASE d.claim_count WHEN 0 THEN d.fair_share WHEN 1 THEN GREATEST(d.fair_share / 4, 1) WHEN 2 THEN GREATEST(d.fair_share / 16, 1) ELSE 1 END
  ) r
  ORDER BY r.outbox_id
  LIMIT $3
)
UPDATE sync_outbox u
SET lease_owner = $1, lease_until = now() + ($2::int * interval '1 millisecond'),
    claim_count = u.claim_count + CASE WHEN u.lease_owner = $1 THEN 0 ELSE 1 END
-- An id array, not a join: the planner then probes the primary key instead of hashing the whole table,
-- which would make every claim cost as much as the backlog plus the audit window.
WHERE u.outbox_id = ANY (ARRAY(SELECT outbox_id FROM picked))
RETURNING ${ROW_COLUMNS.split(', ')
  // created_at in the form the push contract sends, which toIso passes through as it is.
  .map((c) => (c === 'created_at' ? `to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at` : `u.${c}`))
  .join(', ')}`;

export const markSent = `UPDATE sync_outbox
SET sent_at = now(), lease_owner = NULL, lease_until = NULL, claim_count = 0, last_status = d.status, last_error = NULL
FROM unnest($1::bigint[], $2::int[]) AS d(outbox_id, status)
WHERE sync_outbox.outbox_id = d.outbox_id AND sync_outbox.outbox_id = ANY ($1::bigint[]) AND sync_outbox.sent_at IS NULL`;

/**
 * The schedule lives on the row, so a restart keeps it. claim_count resets: the claim reached a result.
 * Only while the claim that sent the row still holds it ($5, its lease owner): a worker whose lease ran out
 * mid-send must not free a row that another worker has claimed since and may be sending right now.
 */
export const scheduleRetry = `UPDATE sync_outbox
SET attempts = sync_outbox.attempts + 1,
    next_attempt_at = now() + (d.delay_ms * interval '1 millisecond'),
    last_error = left(d.error, 2000),
    last_status = d.status,
    lease_owner = NULL,
    lease_until = NULL,
    claim_count = 0
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[], $5::text[]) AS d(outbox_id, delay_ms, error, status, owner)
WHERE sync_outbox.outbox_id = d.outbox_id AND sync_outbox.outbox_id = ANY ($1::bigint[]) AND sync_outbox.sent_at IS NULL
  AND sync_outbox.lease_owner = d.owner
RETURNING sync_outbox.outbox_id`;

/**
 * Moves rows to dead letters, in one statement so that exactly the rows deleted are the rows copied. Like a
 * retry, only while the claim that sent the row ($4, its lease owner) still holds it.
 */
export const moveToDeadLetters = `WITH moved AS (
  DELETE FROM sync_outbox o
  USING unnest($1::bigint[], $2::text[], $3::int[], $4::text[]) AS d(outbox_id, reason, status, owner)
  WHERE o.outbox_id = d.outbox_id AND o.outbox_id = ANY ($1::bigint[]) AND o.sent_at IS NULL AND o.lease_owner = d.owner
  RETURNING o.*, d.reason AS dead_reason, d.status AS dead_status
)
INSERT INTO sync_dead_letter (outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, claim_count,
  next_attempt_at, lease_owner, lease_until, last_error, last_status, sent_at, reason)
SELECT outbox_id, event_id, event_type, stream_key, payload, created_at, attempts + 1, claim_count,
  next_attempt_at, lease_owner, lease_until, last_error, dead_status, sent_at, left(dead_reason, 2000)
FROM moved
RETURNING outbox_id`;

/**
 * A clean stop is not a crash: the claim is handed back without counting against the poison limit. $1 is the
 * worker; each of its claims is leased as '<worker>/<claim>'.
 */
export const releaseLeases = `UPDATE sync_outbox
SET lease_owner = NULL, lease_until = NULL, claim_count = GREATEST(claim_count - 1, 0)
WHERE (lease_owner = $1 OR left(lease_owner, length($1) + 1) = $1 || '/') AND sent_at IS NULL`;

export const purgeSent = `DELETE FROM sync_outbox
WHERE outbox_id IN (
  SELECT outbox_id FROM sync_outbox
  WHERE sent_at IS NOT NULL AND sent_at < now() - ($1::int * interval '1 hour')
  ORDER BY outbox_id
  LIMIT $2
)`;

export const backlog = `SELECT
  (SELECT COUNT(*) FROM sync_outbox WHERE sent_at IS NULL) AS pending,
  (SELECT COUNT(*) FROM sync_outbox WHERE sent_at IS NULL AND lease_until > now()) AS in_flight,
  (SELECT EXTRACT(EPOCH FROM now() - MIN(created_at)) FROM sync_outbox WHERE sent_at IS NULL) AS oldest_age_s,
  (SELECT COUNT(*) FROM sync_dead_letter) AS dead_letters`;

const DEAD_COLUMNS = 'outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, last_status, reason, dead_at';
export const listDeadLetters = `SELECT ${DEAD_COLUMNS} FROM sync_dead_letter ORDER BY outbox_id LIMIT $1`;
export const findDeadLetter = `SELECT ${DEAD_COLUMNS} FROM sync_dead_letter WHERE event_id = $1::uuid`;

/** Requeued rows get a new outbox_id (the end of their stream) and keep their event id and creation time. */
export const requeueDeadLetters = `WITH moved AS (
  DELETE FROM sync_dead_letter WHERE ($1::uuid IS NULL OR event_id = $1::uuid)
  RETURNING event_id, event_type, stream_key, payload, created_at, outbox_id
)
INSERT INTO sync_outbox (event_id, event_type, stream_key, payload, created_at)
SELECT event_id, event_type, stream_key, payload, created_at FROM moved ORDER BY outbox_id
RETURNING event_id`;
