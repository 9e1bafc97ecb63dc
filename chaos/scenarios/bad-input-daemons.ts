import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangesPage, Database } from '../../packages/core/src/index.js';
import { DAEMON_ENTRY, spawnDaemon, waitFor } from '../../packages/core/test/support/spawn-daemon.js';
import { PRODUTO_COLUMNS, produtoRow } from '../../pull-service/test/support/pull-fixtures.js';
import { insertOutboxEvents } from '../../push-service/test/support/outbox-fixtures.js';
import { Outcome, type ChaosContext } from '../support/context.js';
import { createRig, pendingEvents, waitFirstCatalog, type Rig } from '../support/rig.js';

/**
 * A page with a central column the mapping does not name: since schema drift is allowed, it is not bad input. The
 * column is ignored with one warning and the page applies; the chaos run checks exactly that.
 */
const UNMAPPED_COLUMN_PAGE = (since: string): string =>
  JSON.stringify({ ...page(since), columns: [...PRODUTO_COLUMNS, { name: 'margem_secreta', type: 'decimal' }], changes: [{ op: 'upsert', version: bump(since), key: { produto_id: 1 }, row: { ...produtoRow(1), margem_secreta: '1.0' } }] });

/** One malformed produto page per kind, with the words pull-service must use when it reports it. */
const BAD_PAGES: { kind: string; body: (since: string) => string; reason: string }[] = [
  { kind: 'bad JSON', body: () => '{"table":"produto","changes":[', reason: 'the changes page of table produto is not valid JSON' },
  { kind: 'wrong shape', body: (since) => JSON.stringify({ ...page(since), changes: [{ op: 'replace', key: {} }] }), reason: 'the changes page of table produto does not follow the contract: changes[0].op' },
  { kind: 'wrong table', body: (since) => JSON.stringify({ ...page(since), table: 'cliente' }), reason: 'table produto: asked for table produto, the central API answered with a page of table "cliente"' },
  { kind: 'key column missing', body: (since) => JSON.stringify({ ...page(since), changes: [{ op: 'delete', version: bump(since), key: { id: 1 } }] }), reason: 'table produto: changes[0]: key column "produto_id" is missing' },
];

const bump = (since: string): string => String(BigInt(since) + 1n);
const page = (since: string): ChangesPage => ({
  table: 'produto', sinceVersion: since, toVersion: bump(since), keyColumns: ['produto_id'], columns: [...PRODUTO_COLUMNS],
  changes: [{ op: 'upsert', version: bump(since), key: { produto_id: 1 }, row: produtoRow(1) }], hasMore: false, nextCursor: null,
});

const CATEGORIA_COLUMNS = [{ name: 'categoria_id', type: 'int' }, { name: 'nome', type: 'string' }, { name: 'ativa', type: 'bool' }];

/**
 * A hostile central API on loopback: categoria gets empty, correct pages (so that one table keeps working),
 * produto gets the malformed pages in rotation.
 */
async function startHostileApi(): Promise<{ url: string; served: Map<string, number>; stop(): Promise<void> }> {
  const served = new Map<string, number>();
  let next = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const since = /^\d+$/.test(url.searchParams.get('since') ?? '') ? url.searchParams.get('since')! : '0';
    const table = url.searchParams.get('table');
    const reply = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (table === 'categoria') return reply(200, JSON.stringify({ table, sinceVersion: since, toVersion: since, keyColumns: ['categoria_id'], columns: CATEGORIA_COLUMNS, changes: [], hasMore: false, nextCursor: null }));
    if (table === 'produto') {
      // Every bad kind in turn, then one page with an unmapped column (which is not bad: see UNMAPPED_COLUMN_PAGE).
      const slot = next++ % (BAD_PAGES.length + 1);
      const bad = BAD_PAGES[slot] ?? { kind: 'unmapped column', body: UNMAPPED_COLUMN_PAGE };
      served.set(bad.kind, (served.get(bad.kind) ?? 0) + 1);
      return reply(200, bad.body(since));
    }
    reply(404, '{"title":"Not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Every table of the database with its row count: what "untouched" is measured against. */
async function fingerprint(db: Database, include: (table: string) => boolean = () => true): Promise<string> {
  const tables = (await db.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`)).rows.filter(({ name }) => include(name));
  const counts: string[] = [];
  for (const { name } of tables) counts.push(`${name}=${(await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`)).rows[0]!.n}`);
  return counts.join(',');
}

/** (a) A real pull-service process against the hostile API: each bad page reported with its reason, no exit. */
async function hostilePages(ctx: ChaosContext, rig: Rig, dir: string, outcome: Outcome): Promise<boolean> {
  const hostile = await startHostileApi();
  const file = join(dir, 'hostile-tables.json');
  await writeFile(file, JSON.stringify({ tables: [{ table: 'categoria' }, { table: 'produto', dependsOn: ['categoria'] }] }));
  const pull = ctx.track('pull-service', spawnDaemon(DAEMON_ENTRY['pull-service'], rig.daemonEnv('pull', { CENTRAL_API_URL: hostile.url, PULL_TABLES_FILE: file })));
  const failures = () =>
    pull
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"msg":"table is failing; its checkpoint does not move"'))
      .map((line) => JSON.parse(line) as { table?: string; reason?: string });
  const reported = () => BAD_PAGES.filter((bad) => failures().some((line) => line.table === 'produto' && line.reason?.includes(bad.reason)));
  const ignoredWarnings = () => pull.stdout().split('\n').filter((line) => line.includes('central columns not mapped to any local column') && line.includes('margem_secreta')).length;
  try {
    await waitFor(async () => reported().length === BAD_PAGES.length && ignoredWarnings() > 0, ctx.quick ? 30_000 : 60_000, 'every kind of bad page in the logs').catch(() => undefined);
    const port = /"healthPort":(\d+)/.exec(pull.stdout())?.[1];
    // The rotation holds one good page (the unmapped column), after which produto is current until the next bad
    // one: health is asked until it reports produto failing again, not once.
    let ready = '';
    const readyReportsProduto = () => /table:produto/.test(ready) && /produto/.test(/"failingTables":"([^"]*)"/.exec(ready)?.[1] ?? '');
    await waitFor(async () => {
      ready = port ? await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.text(), () => '') : '';
      return readyReportsProduto();
    }, 20_000, 'produto failing in /health/ready').catch(() => undefined);
    const alive = pull.child.exitCode === null && pull.child.signalCode === null;
    const missing = BAD_PAGES.filter((bad) => !reported().includes(bad)).map((bad) => bad.kind);
    outcome.set('bad pages served', [...hostile.served.values()].reduce((a, b) => a + b, 0));
    outcome.set('kinds of bad page', BAD_PAGES.length);
    outcome.set('bad pages reported (log lines naming produto)', failures().filter((line) => line.table === 'produto').length);
    outcome.set('kinds reported with their reason', reported().length);
    outcome.set('unmapped column ignored with a warning (lines)', ignoredWarnings());
    outcome.expect(missing.length === 0, `pull-service did not report these bad pages with their reason: ${missing.join(', ')}`);
    outcome.expect(ignoredWarnings() > 0, 'a page with a column the mapping does not name was not applied with an "ignored" warning');
    const astray = failures().filter((line) => line.table !== 'produto' || !line.reason?.includes('produto'));
    outcome.expect(astray.length === 0, `failures reported for another table or without naming produto: ${astray.slice(0, 3).map((line) => JSON.stringify(line).slice(0, 300)).join(' | ')}`);
    outcome.expect(readyReportsProduto(), `/health/ready does not report produto failing: ${ready.slice(0, 300)}`);
    outcome.expect(alive, `pull-service exited on the bad pages: ${pull.stderr().slice(0, 300)}`);
    return alive;
  } finally {
    pull.child.kill('SIGTERM');
    await pull.exited;
    await hostile.stop();
  }
}

/** (b) Invalid payloads among real sales: dead-lettered with their reason, the sales delivered. */
async function invalidOutboxRows(rig: Rig, outcome: Outcome): Promise<boolean> {
  const pull = rig.startDaemon('pull');
  await waitFirstCatalog(rig);
  await pull.stop();
  await rig.till.open();
  await rig.till.ringUpSale();
  const stream = (await rig.pdv.db.query<{ s: string }>('SELECT stream_key AS s FROM sync_outbox ORDER BY outbox_id LIMIT 1')).rows[0]!.s;
  const payloads = ['{"venda_id": "broken", total: }', '[1, 2, 3]', '"just text"', 'null', '42', '', '{"a": 1'];
  const invalid = payloads.map((payload) => ({ eventId: randomUUID(), eventType: 'venda.finalizada', streamKey: stream, payload }));
  // Interleaved on the till's own stream, so that each bad row sits between valid ones in the delivery order.
  for (const event of invalid) {
    await insertOutboxEvents(rig.pdv.db, [event]);
    await rig.till.ringUpSale();
  }
  await rig.till.close();
  const push = rig.startDaemon('push');
  await waitFor(async () => (await pendingEvents(rig)) === 0, 60_000, 'the outbox to drain').catch(() => undefined);
  const dead = new Map((await rig.pdv.db.query<{ id: string; reason: string }>('SELECT event_id::text AS id, reason FROM sync_dead_letter')).rows.map((row) => [row.id, row.reason]));
  const valid = (await rig.pdv.db.query<{ id: string }>('SELECT event_id::text AS id FROM sync_outbox')).rows.map((row) => row.id);
  const inbox = new Set((await rig.central.db.query<{ id: string }>('SELECT event_id::text AS id FROM sync_inbox')).rows.map((row) => row.id));
  const withReason = invalid.filter((event) => /^invalid payload: /.test(dead.get(event.eventId) ?? '')).length;
  const delivered = valid.filter((id) => inbox.has(id)).length;
  const alive = push.running();
  outcome.set('invalid outbox rows', invalid.length);
  outcome.set('dead-lettered with reason', withReason);
  outcome.set('valid events', valid.length);
  outcome.set('valid delivered', delivered);
  outcome.expect(withReason === invalid.length, `${invalid.length - withReason} invalid rows were not dead-lettered with an "invalid payload" reason: ${[...dead.values()].slice(0, 3).join(' | ')}`);
  outcome.expect(dead.size === invalid.length, `${dead.size - invalid.length} valid events were dead-lettered`);
  outcome.expect(valid.length > 0 && delivered === valid.length, `${valid.length - delivered} of ${valid.length} valid events did not reach the central inbox`);
  outcome.expect(invalid.every((event) => !inbox.has(event.eventId)), 'an invalid row reached the central inbox');
  outcome.expect(alive, 'push-service exited on the invalid rows');
  await push.stop();
  return alive;
}

/**
 * (c) Injection attempts in the mapping file's identifiers. Names may hold any character but control characters
 * (an adopter's `[Tabela de Preço]` or `"Order"`), and they reach SQL only quoted, so such a name either stops the
 * start (exit 2, one line naming the file and the field: a name no catalog can hold, or a dependsOn naming no
 * mapped table) or is taken as the plain, strange name it is: a table or column that does not exist, left out or
 * never matched, while the daemon runs on. Either way nothing the injected SQL aims at may change: table x keeps
 * existing, the PDV's preco_loja (not in these mappings) keeps its rows, and the central catalog is untouched.
 */
async function hostileMappings(ctx: ChaosContext, rig: Rig, dir: string, outcome: Outcome): Promise<void> {
  const attempts: { field: string; entry: Record<string, unknown> }[] = [
    { field: 'tables[0].table', entry: { table: 'produto; DROP TABLE x' } },
    { field: 'tables[0].columns', entry: { table: 'produto', columns: { descricao: 'a"b' } } },
    { field: 'tables[0].columns', entry: { table: 'produto', columns: { 'descricao" = 1; DROP TABLE x; --': 'descricao' } } },
    { field: 'tables[0].localTable', entry: { table: 'produto', localTable: 'produto"; DELETE FROM preco_loja; --' } },
    { field: 'tables[0].keyColumns[0]', entry: { table: 'produto', keyColumns: ['produto_id) OR (1=1'] } },
    { field: 'tables[0].table', entry: { table: 'produto\u0000; DROP TABLE x' } },
    { field: 'tables[1].dependsOn[0]', entry: { table: 'categoria' } },
  ];
  // The last attempt hides the name in dependsOn of a second table.
  const files = attempts.map((attempt, index) => ({
    ...attempt,
    file: join(dir, `mapping-${index}.json`),
    tables: index === attempts.length - 1 ? [attempt.entry, { table: 'produto', dependsOn: ["categoria'); DROP TABLE x; --"] }] : [attempt.entry],
  }));
  await rig.pdv.db.query('CREATE TABLE x (id int)');
  await rig.pdv.db.query('INSERT INTO x VALUES (1)');
  const targets = async (): Promise<string> => {
    const x = (await rig.pdv.db.query<{ n: string }>('SELECT count(*) AS n FROM x')).rows[0]!.n;
    const prices = (await rig.pdv.db.query<{ n: string }>('SELECT count(*) AS n FROM preco_loja')).rows[0]!.n;
    return `x=${x},preco_loja=${prices}|${await fingerprint(rig.central.db, (name) => !name.startsWith('sync_'))}`;
  };
  const before = await targets();
  let refused = 0;
  let ranSafely = 0;
  const problems: string[] = [];
  for (const attempt of files) {
    await writeFile(attempt.file, JSON.stringify({ tables: attempt.tables }));
    const child = ctx.track('pull-service', spawnDaemon(DAEMON_ENTRY['pull-service'], rig.daemonEnv('pull', { PULL_TABLES_FILE: attempt.file })));
    // A refused file exits at once; a strange but valid name leaves a running daemon, stopped after a few cycles.
    const running = setTimeout(() => child.child.kill('SIGTERM'), 8_000);
    const killer = setTimeout(() => child.child.kill('SIGKILL'), 30_000);
    const { code } = await child.exited;
    clearTimeout(running);
    clearTimeout(killer);
    const lines = child.stderr().trim().split('\n');
    if (code === 2 && lines.length === 1 && lines[0]!.includes(attempt.file) && lines[0]!.includes(attempt.field)) refused += 1;
    else if (code === 0 && child.stderr().trim() === '') ranSafely += 1;
    else problems.push(`${attempt.field}: exit ${code}, stderr ${JSON.stringify(child.stderr().slice(0, 200))}`);
  }
  const after = await targets();
  outcome.set('mapping attempts', files.length);
  outcome.set('refused (exit 2, file and field named)', refused);
  outcome.set('taken as strange names (ran, stopped cleanly)', ranSafely);
  outcome.set('injection targets untouched', before === after);
  outcome.expect(refused + ranSafely === files.length, `mapping attempts neither refused nor run safely: ${problems.join(' | ')}`);
  outcome.expect(refused >= 2, `the names no catalog can hold and the unknown dependsOn were not refused (${refused} refused)`);
  outcome.expect(before === after, `what the injected SQL aims at changed: ${before} -> ${after}`);
}

/**
 * Hostile input aimed at the daemons rather than at central-api: malformed pages from a hostile central API
 * into a real pull-service process, outbox rows with invalid payloads among real sales, and mapping files
 * with SQL injection attempts in their identifiers.
 */
export async function badInputDaemons(ctx: ChaosContext): Promise<Outcome> {
  const outcome = new Outcome();
  const rig = await createRig(ctx, { products: 50 });
  const dir = await mkdtemp(join(tmpdir(), 'gp-chaos-bad-input-'));
  try {
    // The outbox part first: it needs the real catalog, which the hostile API would then leave untouched.
    const pushAlive = await invalidOutboxRows(rig, outcome);
    const pullAlive = await hostilePages(ctx, rig, dir, outcome);
    await hostileMappings(ctx, rig, dir, outcome);
    const apiAlive = rig.api.daemon.child.exitCode === null;
    outcome.set('processes still running', `${[pushAlive, pullAlive, apiAlive].filter(Boolean).length}/3`);
    outcome.expect(apiAlive, 'central-api exited');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rig.dispose();
  }
  return outcome;
}
