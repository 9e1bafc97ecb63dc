import { createHash } from 'node:crypto';

/**
 * Which incarnation of the central database answers: a value that changes whenever the database goes back in
 * time (a restore, a failover to a replica that had not received everything) or is replaced, so that a PDV
 * built from the earlier one re-reads its tables instead of keeping rows that no longer exist centrally, or
 * missing the changes that will now reuse the versions it already passed.
 *
 * It is never read from a row a backup carries along (a backup restores that row too); each dialect reads what a
 * restore changes (versions.mssql.ts: the recovery fork and database GUIDs; versions.postgres.ts: the cluster's
 * system identifier, its timeline and the database's oid), plus the restore mark (sync_restore_mark), which an
 * operator moves by hand where that is not enough (sync_mark_restore, see the operators guide, "Restores").
 *
 * The parts are hashed into a short opaque text: clients only compare it, and it reveals nothing of the server.
 */
export function incarnationOf(dialect: string, parts: readonly (string | number | null)[]): string {
  const text = [dialect, ...parts.map((part) => (part === null ? '-' : String(part).toLowerCase()))].join('|');
  return createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, 22);
}
