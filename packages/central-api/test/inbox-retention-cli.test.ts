import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { startAdminRig, type AdminRig, type CliRun } from './support/admin-rig.js';
import { inboxRowsOf, purgedRecords } from './support/inbox-retention.js';

/** A refusal (1) or a bad value (2): exactly one line on stderr. A usage error (64) adds the usage text after its line. */
function expectRefusal(run: CliRun, code: 1 | 2 | 64, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter(Boolean);
  if (code !== 64) expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describeBackends('central-api inbox purge (the admin CLI, as a child process)', (backend) => {
  let rig: AdminRig;
  beforeAll(async () => {
    // The API beside it runs no schedule: what is purged here is the command's doing.
    rig = await startAdminRig(backend, { INBOX_RETENTION_DAYS: '0' });
  });
  afterAll(async () => rig?.close());

  /** Inbox rows received `daysAgo` days ago, written as the ingest would have. */
  const storeEvents = async (count: number, daysAgo: number): Promise<string[]> => {
    const eventIds = Array.from({ length: count }, () => randomUUID());
    for (const eventId of eventIds) {
      await rig.exec(
        `INSERT INTO sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload, received_at)
         VALUES ('loja01-pdv01', $1, 'nfe.autorizada', 'caixa:1', $2, '<nfeProc/>', now() - make_interval(days => $3::int))`,
        [eventId, 'ab'.repeat(32), daysAgo],
      );
    }
    return eventIds;
  };

  it('purges the rows older than INBOX_RETENTION_DAYS (default 90), keeps the others, and says what it did', async () => {
    const old = await storeEvents(3, 120);
    const recent = await storeEvents(2, 10);
    const run = await rig.cli(['inbox', 'purge', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ olderThanDays: 90, deleted: 3, recorded: 3, stopped: false });
    expect(await inboxRowsOf(rig.db, old)).toBe(0);
    expect(await inboxRowsOf(rig.db, recent)).toBe(2);
    expect((await purgedRecords(rig.db, old)).map((r) => [r.outcome, r.payloadHash])).toEqual(Array(3).fill([1, 'ab'.repeat(32)]));

    const again = await rig.cli(['inbox', 'purge']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^purged 0 inbox rows older than 90 days \(\d+ PDVs, \d+ batches\); 0 keys recorded in sync_inbox_purged\n$/);
  });

  it('takes --days, at least 35', async () => {
    const rows = await storeEvents(2, 50);
    const run = await rig.cli(['inbox', 'purge', '--days', '40']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^purged 2 inbox rows older than 40 days/);
    expect(await inboxRowsOf(rig.db, rows)).toBe(0);
    expectRefusal(await rig.cli(['inbox', 'purge', '--days', '7']), 64, /--days expects a whole number of days from 35 to 3650; got "7"/);
  });

  it('refuses to purge with INBOX_RETENTION_DAYS=0 unless --days says how far, and stops on a bad value', async () => {
    const rows = await storeEvents(1, 400);
    expectRefusal(await rig.cli(['inbox', 'purge'], { INBOX_RETENTION_DAYS: '0' }), 1, /^central-api: INBOX_RETENTION_DAYS=0 keeps every event; give --days N \(at least 35\) to purge anyway$/);
    expect(await inboxRowsOf(rig.db, rows)).toBe(1);
    expectRefusal(await rig.cli(['inbox', 'purge'], { INBOX_RETENTION_DAYS: 'soon' }), 2, /INBOX_RETENTION_DAYS: expected 0 \(keep every event\) or a whole number of days from 35 to 3650; found "soon"/);
    expect(await inboxRowsOf(rig.db, rows)).toBe(1);
  });
}, ['pglite', 'postgres']);
