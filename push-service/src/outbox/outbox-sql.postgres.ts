/**
 * PostgreSQL statements of the outbox worker. Times come from the database clock (now()), so that several
 * workers, even on different machines, agree on leases and schedules.
 */
const ROW_COLUMNS = 'outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, claim_count';

/**
 * Claims up to $3 rows under a lease for owner $1 of $2 ms, from at most a 1/$4 share of the streams. Only the
 * head (oldest unsent row) of a stream decides whether the stream may move: it must be due and not leased.
 * Locking the heads with SKIP LOCKED makes the head the stream's mutex, so two workers never hold rows of one
 * stream at once; the rows taken are a prefix of each stream, so FIFO holds.
 *
 * The lease is written on the head only, with claim_until = the last row of the prefix behind it: the rows
 * behind are read, not rewritten (see 0007_outbox_head_leases.sql). A head that still carries claim_until was
 * claimed before without a result (the worker died): that claim is added now to the claim_count of the rows
 * it held behind the head, and the head takes a smaller prefix each time (a quarter, a sixteenth, then alone),
 * which narrows in on a poison row in a few claims while a random crash costs little more than one batch.
 * Each returned claim_count includes this claim, as the triage expects. `sent_at IS NULL` is repeated on the
 * locked relation because a row sent after this statement's snapshot is re-checked against its newest
 * version only on the locking level.
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
  SELECT o.outbox_id, o.stream_key, o.claim_count, o.claim_until
  FROM sync_outbox o
  -- The heads by id: joined, the heads were matched against a scan of the whole backlog whenever the
  -- statistics did not know the backlog yet (a fresh table, or one that just grew during an outage).
  WHERE o.outbox_id = ANY (ARRAY(SELECT outbox_id FROM heads))
    AND o.sent_at IS NULL
    AND o.next_attempt_at <= now()
    AND (o.lease_until IS NULL OR o.lease_until < now())
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
  SELECT r.outbox_id, d.outbox_id AS head_id, d.stream_key, d.claim_until AS unfinished_until
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
), claims AS (
  -- One row per claimed head (a head whose prefix the batch limit cut off entirely stays unclaimed).
  SELECT head_id, stream_key, unfinished_until, MAX(outbox_id) AS last_id FROM picked GROUP BY head_id, stream_key, unfinished_until
), leased AS (
  UPDATE sync_outbox u
  SET lease_owner = $1, lease_until = now() + ($2::int * interval '1 millisecond'), claim_count = u.claim_count + 1,
      claim_until = (SELECT c.last_id FROM claims c WHERE c.head_id = u.outbox_id)
  -- Ids, not a join, for the same reason as below.
  WHERE u.outbox_id = ANY (ARRAY(SELECT head_id FROM claims))
  RETURNING u.outbox_id
), counted AS (
  -- The unfinished claim of each such head, counted on the rows it held behind the head. The ids come from
  -- ix_sync_outbox_stream, one range per head: a join here would be planned as a scan of the whole table.
  UPDATE sync_outbox b
  SET claim_count = b.claim_count + 1
  WHERE b.outbox_id = ANY (ARRAY(
    SELECT r.outbox_id
    FROM claims c
    CROSS JOIN LATERAL (
      SELECT s.outbox_id FROM sync_outbox s
      WHERE s.stream_key = c.stream_key AND s.sent_at IS NULL AND s.outbox_id > c.head_id AND s.outbox_id <= c.unfinished_until
    ) r
    WHERE c.unfinished_until IS NOT NULL))
  RETURNING b.outbox_id
)
-- The rows as this statement's snapshot saw them, so the two updates above are added here.
SELECT ${ROW_COLUMNS.split(', ')
  .filter((c) => c !== 'claim_count' && c !== 'created_at')
  .map((c) => `s.${c}`)
  .join(', ')},
  -- The form the push contract sends (toIso passes it through as it is).
  to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  s.claim_count + 1 + CASE WHEN s.outbox_id > p.head_id AND s.outbox_id <= p.unfinished_until THEN 1 ELSE 0 END AS claim_count
FROM picked p
-- An id array, not a join: the planner then probes the primary key instead of hashing the whole table,
-- which would make every claim cost as much as the backlog plus the audit window.
JOIN sync_outbox s ON s.outbox_id = p.outbox_id
WHERE s.outbox_id = ANY (ARRAY(SELECT outbox_id FROM picked))`;

export const markSent = `UPDATE sync_outbox
SET sent_at = now(), lease_owner = NULL, lease_until = NULL, claim_until = NULL, claim_count = 0, last_status = d.status, last_error = NULL
FROM unnest($1::bigint[], $2::int[]) AS d(outbox_id, status)
WHERE sync_outbox.outbox_id = d.outbox_id AND sync_outbox.outbox_id = ANY ($1::bigint[]) AND sync_outbox.sent_at IS NULL`;

/** The schedule lives on the row, so a restart keeps it. claim_count resets: the claim reached a result. */
export const scheduleRetry = `UPDATE sync_outbox
SET attempts = sync_outbox.attempts + 1,
    next_attempt_at = now() + (d.delay_ms * interval '1 millisecond'),
    last_error = left(d.error, 2000),
    last_status = d.status,
    lease_owner = NULL,
    lease_until = NULL,
    claim_until = NULL,
    claim_count = 0
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[]) AS d(outbox_id, delay_ms, error, status)
WHERE sync_outbox.outbox_id = d.outbox_id AND sync_outbox.outbox_id = ANY ($1::bigint[]) AND sync_outbox.sent_at IS NULL`;

export const copyToDeadLetter = `INSERT INTO sync_dead_letter (outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, claim_count,
  next_attempt_at, lease_owner, lease_until, last_error, last_status, sent_at, reason)
SELECT o.outbox_id, o.event_id, o.event_type, o.stream_key, o.payload, o.created_at, o.attempts + 1, o.claim_count,
  o.next_attempt_at, o.lease_owner, o.lease_until, o.last_error, d.status, o.sent_at, left(d.reason, 2000)
FROM sync_outbox o
JOIN unnest($1::bigint[], $2::text[], $3::int[]) AS d(outbox_id, reason, status) ON d.outbox_id = o.outbox_id
WHERE o.sent_at IS NULL
ON CONFLICT (outbox_id) DO NOTHING`;

export const deleteFromOutbox = `DELETE FROM sync_outbox WHERE outbox_id = ANY($1::bigint[]) AND sent_at IS NULL`;

/**
 * A clean stop is not a crash: the claim is handed back without counting against the poison limit. Only heads
 * carry a lease, and only the head's count was raised by the claim. Answers the rows handed back: each head
 * and the prefix it held.
 */
export const releaseLeases = `WITH held AS (
  SELECT outbox_id, stream_key, claim_until FROM sync_outbox WHERE lease_owner = $1 AND sent_at IS NULL FOR UPDATE
), released AS (
  UPDATE sync_outbox u
  SET lease_owner = NULL, lease_until = NULL, claim_until = NULL, claim_count = GREATEST(u.claim_count - 1, 0)
  FROM held
  WHERE u.outbox_id = held.outbox_id
  RETURNING u.outbox_id
)
SELECT COUNT(*) AS released FROM held h
JOIN sync_outbox r ON r.stream_key = h.stream_key AND r.sent_at IS NULL AND r.outbox_id BETWEEN h.outbox_id AND COALESCE(h.claim_until, h.outbox_id)`;

export const purgeSent = `DELETE FROM sync_outbox
WHERE outbox_id IN (
  SELECT outbox_id FROM sync_outbox
  WHERE sent_at IS NOT NULL AND sent_at < now() - ($1::int * interval '1 hour')
  ORDER BY outbox_id
  LIMIT $2
)`;

/** Rows held by a live claim: each leased head and the prefix behind it, up to its claim_until. */
export const IN_FLIGHT = `(SELECT COUNT(*) FROM sync_outbox h
    JOIN sync_outbox r ON r.stream_key = h.stream_key AND r.sent_at IS NULL AND r.outbox_id BETWEEN h.outbox_id AND h.claim_until
    WHERE h.sent_at IS NULL AND h.lease_until > now())`;

export const backlog = `SELECT
  (SELECT COUNT(*) FROM sync_outbox WHERE sent_at IS NULL) AS pending,
  ${IN_FLIGHT} AS in_flight,
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
