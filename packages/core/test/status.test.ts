import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { applySchema } from '../src/db/schema-runner.js';
import type { SyncStatus } from '../src/status/index.js';
import { describeBackends, type TestDatabase } from './support/backends.js';
import { REPO_ROOT } from './support/spawn-daemon.js';

function runStatus(cli: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, cli), 'status', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describeBackends('status CLI', (backend) => {
  const databases: TestDatabase[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  });
  // Disposed at the end, not after each test: the socket server of a shared PGlite still handles the CLI's
  // connection close for a moment after the child process has exited.
  afterAll(async () => {
    for (const db of databases.splice(0)) await db.dispose();
  });

  it.each(['push-service/dist/cli.js', 'pull-service/dist/cli.js'])('%s status --json reports checkpoints, rejected rows, the outbox and the daemons', async (cli) => {
    const pdv = await backend.create({ shared: true });
    databases.push(pdv);
    await applySchema(pdv.db, { role: 'pdv' });
    const q = (sql: string) => pdv.db.query(sql);
    await q(`INSERT INTO sync_checkpoint (table_name, version, mode, rows_applied, last_success_at, ignored_columns) VALUES ('produto', 42, 'delta', 1200, '2024-05-01T10:00:00Z', 'margem, fornecedor')`);
    await q(`INSERT INTO sync_checkpoint (table_name, version, mode, rows_applied, last_error, last_error_at) VALUES ('cliente', 7, 'snapshot', 30, 'stop-table: 2 row(s) refused', '2024-05-01T11:00:00Z')`);
    for (const key of ['1', '2']) await q(`INSERT INTO sync_rejected_row (table_name, row_key, reason) VALUES ('cliente', '{"id":${key}}', 'value too long')`);
    await q(`INSERT INTO sync_rejected_row (table_name, row_key, reason) VALUES ('old_table', '{"id":9}', 'gone')`);
    // Outbox: two pending (one of them leased by a sender), one sent.
    await q(`INSERT INTO sync_outbox (event_id, event_type, stream_key, payload, created_at) VALUES ('${uuid(1)}', 'sale', 's1', '{}', now() - interval '600 seconds')`);
    await q(`INSERT INTO sync_outbox (event_id, event_type, stream_key, payload, lease_owner, lease_until) VALUES ('${uuid(2)}', 'sale', 's2', '{}', 'x', now() + interval '60 seconds')`);
    await q(`INSERT INTO sync_outbox (event_id, event_type, stream_key, payload, sent_at) VALUES ('${uuid(3)}', 'sale', 's3', '{}', now())`);
    const dead = [
      [10, 'handler_rejected: unknown product'],
      [11, 'handler_rejected: unknown product'],
      [12, 'payload_conflict'],
    ] as const;
    for (const [id, reason] of dead) {
      await q(`INSERT INTO sync_dead_letter (outbox_id, event_id, event_type, stream_key, payload, created_at, attempts, claim_count, next_attempt_at, reason)
        VALUES (${id}, '${uuid(id)}', 'sale', 's9', '{}', now(), 1, 1, now(), '${reason}')`);
    }
    const ready = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","components":{},"degraded":{},"info":{"centralState":"auth-refused"}}'));
    servers.push(ready);
    const readyPort = await listen(ready);
    // A port that was just released: nothing answers there.
    const gone = createServer();
    const gonePort = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));

    const env = { DB_URL: pdv.url!, PULL_HEALTH_URL: `http://127.0.0.1:${readyPort}/health/ready`, PUSH_HEALTH_URL: `http://127.0.0.1:${gonePort}/health/ready` };
    const result = await runStatus(cli, ['--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as SyncStatus;
    expect(status.tables).toEqual([
      { table: 'cliente', version: '7', mode: 'snapshot', rowsApplied: '30', lastSuccessAt: null, lastError: 'stop-table: 2 row(s) refused', lastErrorAt: '2024-05-01T11:00:00.000Z', rejectedRows: 2, ignoredColumns: null },
      { table: 'produto', version: '42', mode: 'delta', rowsApplied: '1200', lastSuccessAt: '2024-05-01T10:00:00.000Z', lastError: null, lastErrorAt: null, rejectedRows: 0, ignoredColumns: 'margem, fornecedor' },
    ]);
    expect(status.otherRejected).toEqual([{ table: 'old_table', rejectedRows: 1 }]);
    expect(status.outbox).toMatchObject({ pending: 2, inFlight: 1, deadLetters: 3 });
    expect(status.outbox.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(600);
    expect(status.outbox.oldestPendingAgeSeconds).toBeLessThan(700);
    expect(status.outbox.deadLetterReasons.map((r) => [r.reason, r.events])).toEqual([
      ['handler_rejected: unknown product', 2],
      ['payload_conflict', 1],
    ]);
    expect(status.daemons).toEqual([
      { service: 'pull-service', url: env.PULL_HEALTH_URL, state: 'ok', httpStatus: 200, detail: null, centralState: 'auth-refused' },
      { service: 'push-service', url: env.PUSH_HEALTH_URL, state: 'unreachable', httpStatus: null, detail: 'ECONNREFUSED', centralState: null },
    ]);

    // The human form carries the same figures.
    const human = await runStatus(cli, [], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/cliente\s+7\s+snapshot\s+30\s+2\s+-\s+2024-05-01T11:00:00.000Z stop-table/);
    expect(human.stdout).toContain('pending 2, in flight 1, oldest pending');
    expect(human.stdout).toContain('produto: central columns ignored (no local column maps them): margem, fornecedor');
    expect(human.stdout).toMatch(/push-service\s+unreachable/);
    expect(human.stdout).toMatch(/pull-service\s+ok \(200\)\s+auth-refused/);
  }, 60_000);

  it('a health URL that reaches the other daemon is reported as a misconfiguration, not as that daemon\'s state', async () => {
    const pdv = await backend.create({ shared: true });
    databases.push(pdv);
    await applySchema(pdv.db, { role: 'pdv' });
    const pull = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"service":"pull-service","status":"ok","components":{},"degraded":{}}'));
    servers.push(pull);
    const url = `http://127.0.0.1:${await listen(pull)}/health/ready`;
    // Both variables at the same daemon, as two containers' defaults of 127.0.0.1:8080 would do.
    const result = await runStatus('push-service/dist/cli.js', ['--json'], { DB_URL: pdv.url!, PULL_HEALTH_URL: url, PUSH_HEALTH_URL: url });
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as SyncStatus;
    expect(status.daemons).toEqual([
      { service: 'pull-service', url, state: 'ok', httpStatus: 200, detail: null, centralState: null },
      { service: 'push-service', url, state: 'fail', httpStatus: 200, detail: `${url} answers as pull-service, not push-service: set PUSH_HEALTH_URL to the push-service health port`, centralState: null },
    ]);
  }, 60_000);

  it('says in one line that a database without sync tables has none, and exits 1', async () => {
    const empty = await backend.create({ shared: true });
    databases.push(empty);
    const result = await runStatus('push-service/dist/cli.js', ['--json'], { DB_URL: empty.url! });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('no sync tables in this database');
  }, 60_000);

  it('a bad configuration exits 2 with one line', async () => {
    const result = await runStatus('pull-service/dist/cli.js', [], { DB_URL: 'pglite://memory', PUSH_HEALTH_URL: 'not a url' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^pull-service-cli: invalid configuration: PUSH_HEALTH_URL/);
  });
}, ['pglite', 'postgres']);
