import { z } from 'zod';
import { databaseEnv } from '@goldpdv/core';
import { centralEnv } from '../config.js';
import { purgeInbox } from '../ingest/inbox-purge.js';
import { MAX_INBOX_RETENTION_DAYS, MIN_INBOX_RETENTION_DAYS, parseInboxRetentionDays } from '../ingest/inbox-retention-config.js';
import { openAdminDatabase, schemaProblem } from './admin-database.js';
import { parseCliArgs, UsageError } from './cli-args.js';
import { EXIT, refused, type ExitCode } from './exit-codes.js';

export const INBOX_USAGE = `  inbox purge [--days N] [--json]   purges now the sync_inbox rows older than N days (default
                                     INBOX_RETENTION_DAYS), in batches of 1000; their keys stay in
                                     sync_inbox_purged, so a replay is still answered duplicate`;

const inboxEnv = z.object({ ...databaseEnv, INBOX_RETENTION_DAYS: centralEnv.INBOX_RETENTION_DAYS });

/**
 * `central-api inbox purge`: the scheduled inbox retention, run once by hand (e.g. after lowering
 * INBOX_RETENTION_DAYS, or on a replica set that runs the API with the retention off). Safe beside running APIs:
 * each batch skips the rows another purge holds.
 */
export async function runInboxCommand(program: string, argv: readonly string[]): Promise<ExitCode> {
  const args = parseCliArgs(argv, ['days'], ['json']);
  const [action, ...extra] = args.positional;
  if (action !== 'purge') throw new UsageError(action === undefined ? 'inbox needs an action: purge' : `unknown inbox action "${action}"`);
  if (extra.length > 0) throw new UsageError(`inbox purge takes no argument (got ${extra[0]})`);
  const daysOption = daysFromOption(args.options.get('days'));

  const { config, db } = await openAdminDatabase(program, inboxEnv, { checkAtStart: true });
  try {
    const days = daysOption ?? config.INBOX_RETENTION_DAYS;
    if (days === 0) {
      process.stderr.write(`${program}: INBOX_RETENTION_DAYS=0 keeps every event; give --days N (at least ${MIN_INBOX_RETENTION_DAYS}) to purge anyway\n`);
      return EXIT.refused;
    }
    const result = await purgeInbox({ db, olderThanDays: days });
    process.stdout.write(
      args.flags.has('json')
        ? `${JSON.stringify({ olderThanDays: days, ...result })}\n`
        : `purged ${result.deleted} inbox rows older than ${days} days (${result.pdvs} PDVs, ${result.batches} batches); ${result.recorded} keys recorded in sync_inbox_purged\n`,
    );
    return EXIT.ok;
  } catch (error) {
    return refused(program, schemaProblem(error, db.dialect), error);
  } finally {
    await db.close();
  }
}

/** --days follows INBOX_RETENTION_DAYS' own rule, but 0 (keep everything) means nothing to do here. */
function daysFromOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseInboxRetentionDays(raw);
  if (!parsed.ok || parsed.value === 0) {
    throw new UsageError(`--days expects a whole number of days from ${MIN_INBOX_RETENTION_DAYS} to ${MAX_INBOX_RETENTION_DAYS}; got ${JSON.stringify(raw)}`);
  }
  return parsed.value;
}
