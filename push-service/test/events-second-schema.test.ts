import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applySchema } from '../../packages/core/src/db/schema-runner.js';
import type { Queryable } from '../../packages/core/src/db/types.js';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { REPO_ROOT, waitFor, type SpawnedDaemon } from '../../packages/core/test/support/spawn-daemon.js';
import { countRows } from './support/outbox-fixtures.js';
import { createPushRig, PDV_ID, stopGracefully, type PushRig } from './support/push-rig.js';
import { CANCELLED, expectedEventId, FINALISED, OPEN, SECOND_SCHEMA_DDL, SECOND_SCHEMA_DECLARATION, SecondSchemaTill } from './support/second-schema.js';

/**
 * The declared events end to end on a schema unlike the sample (vendas.Venda & co., IDENTITY int keys, an int
 * status code, a composite key), through the real processes: push-service and central-api as child processes, a
 * PDV database written by a "POS program" that knows nothing about sync, and the central inbox. Every event
 * arrives exactly once with the id of the recipe; a reinstalled PDV whose keys start again at 1 sends new ids.
 */
describeBackends('declared events on a second schema, end to end', (backend) => {
  let rig: PushRig;
  let folder: string;
  let eventsFile: string;
  const extra: TestDatabase[] = [];
  beforeAll(async () => {
    rig = await createPushRig(backend);
    await rig.pdv.db.executeScript(SECOND_SCHEMA_DDL[rig.pdv.db.dialect]);
    folder = mkdtempSync(join(tmpdir(), 'goldpdv-events-test-'));
    eventsFile = join(folder, 'outbox-events.json');
    writeFileSync(eventsFile, JSON.stringify(SECOND_SCHEMA_DECLARATION, null, 2));
  });
  afterAll(async () => {
    await rig?.dispose();
    for (const db of extra) await db.dispose();
    rmSync(folder, { recursive: true, force: true });
  });

  const eventsEnv = () => ({
    PUSH_EVENTS_FILE: eventsFile,
    PUSH_SWEEP_INTERVAL_MS: '300',
    PUSH_SWEEP_PAGE_ROWS: '10',
    PUSH_RECONCILE_INTERVAL_MS: '0',
  });

  /** Started, and its capture triggers installed: what the POS program writes from now on is captured. */
  const startPush = async (db: Queryable, overrides: Record<string, string> = {}): Promise<SpawnedDaemon> => {
    const daemon = rig.startPush({ ...eventsEnv(), ...overrides });
    const exited = daemon.exited.then(() => {
      throw new Error(`push-service exited: ${daemon.stderr()}`);
    });
    await Promise.race([waitFor(async () => (await countRows(db, 'sync_event_declaration')) === 1, 60_000, 'the capture triggers to be installed'), exited]);
    exited.catch(() => undefined);
    return daemon;
  };

  const installationOf = async (db: Queryable) => String((await db.query<{ id: string }>('SELECT installation_id AS id FROM sync_installation')).rows[0]!.id).toLowerCase();

  interface InboxEvent {
    event_id: string;
    event_type: string;
    stream_key: string;
    payload: string;
  }
  const inbox = async (): Promise<InboxEvent[]> => {
    const p = rig.central.db.dialect === 'mssql' ? '@p1' : '$1';
    const { rows } = await rig.central.db.query<InboxEvent>(`SELECT event_id, event_type, stream_key, payload FROM sync_inbox WHERE pdv_id = ${p} ORDER BY arrival_seq`, [PDV_ID]);
    return rows.map((row) => ({ ...row, event_id: String(row.event_id).toLowerCase() }));
  };

  const cli = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'push-service/dist/cli.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });

  const items = [
    { produto: '7891000100103', descricao: 'Açúcar cristal 1kg', qtd: '2.000', preco: '4.99', total: '9.98' },
    { produto: '7891000053508', descricao: 'Café "Pilão" 500g / moído', qtd: '1.500', preco: '15.30', total: '22.95' },
  ];
  const DAY = '2026-11-30';
  const at = `${DAY} 10:15:00.123456`;

  it('delivers every sale, cancellation, re-finalisation, bleed and swept bulk load exactly once, with the ids of the recipe', async () => {
    const db = rig.pdv.db;
    const till = new SecondSchemaTill(db);
    const push = await startPush(db);
    const session = await till.openSession(db, 1, PDV_ID);

    const sold = await db.transaction((tx) => till.sell(tx, session, items, '32.93', at));
    const cancelled = await db.transaction((tx) => till.sell(tx, session, items.slice(0, 1), '9.98', at));
    await till.setStatus(db, cancelled, CANCELLED);
    const again = await db.transaction((tx) => till.sell(tx, session, items.slice(1), '22.95', at));
    await till.setStatus(db, again, CANCELLED);
    await till.setStatus(db, again, FINALISED);
    // Cancelled while still open: no sale was ever finalised, so there is nothing to take back.
    const abandoned = await db.transaction((tx) => till.sell(tx, session, items, '32.93', at, OPEN));
    await till.setStatus(db, abandoned, CANCELLED);
    await till.bleed(db, session, 1, '50.00');
    await till.bleed(db, session, 2, '25.50');
    // A bulk load with the triggers off: nothing is captured, the sweep finds the sale.
    let loaded = 0;
    await till.bulkLoadWithoutTriggers(db, async () => {
      loaded = await till.sell(db, session, items.slice(0, 1), '9.98', at);
    });

    const installation = await installationOf(db);
    const expected = [
      ['venda.finalizada', String(sold), 1],
      ['venda.finalizada', String(cancelled), 1],
      ['venda.cancelada', String(cancelled), 2],
      ['venda.finalizada', String(again), 1],
      ['venda.cancelada', String(again), 2],
      ['venda.finalizada', String(again), 3],
      ['caixa.sangria', `${session},1`, 1],
      ['caixa.sangria', `${session},2`, 1],
      ['venda.finalizada', String(loaded), 1],
    ] as const;
    await waitFor(async () => (await rig.inboxCount()) === expected.length && (await countRows(db, 'sync_outbox', 'sent_at IS NULL')) === 0, 60_000, 'every event to arrive');

    const arrived = await inbox();
    const ids = expected.map(([type, key, n]) => expectedEventId(installation, type, key, n));
    expect(arrived.map((e) => e.event_id).sort()).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    for (const [index, [type]] of expected.entries()) expect(arrived.find((e) => e.event_id === ids[index])?.event_type).toBe(type);
    expect(arrived.every((e) => e.stream_key === `sessao:${session}`)).toBe(true);
    expect(await countRows(db, 'sync_outbox')).toBe(expected.length);
    expect(await countRows(db, 'sync_dead_letter')).toBe(0);
    expect(await countRows(db, 'sync_capture')).toBe(0);
    expect(push.stdout()).toContain('event found by the reconciliation sweep');

    // The payload: the declared fields in their order, decimals with their scale, the items and payments in order.
    const payload = JSON.parse(arrived.find((e) => e.event_id === ids[0])!.payload) as Record<string, unknown>;
    expect(payload).toStrictEqual({
      venda: sold,
      numero: 1,
      loja: 1,
      pdv: PDV_ID,
      sessao: session,
      situacao: FINALISED,
      total: '32.93',
      data_hora: `${DAY}T10:15:00.123456`,
      observacao: 'Cliente pediu nota – São Paulo',
      itens: items.map((item, i) => ({ seq: i + 1, produto: item.produto, descricao: item.descricao, qtd: item.qtd, preco: item.preco, total: item.total })),
      pagamentos: [{ seq: 1, forma: 3, valor: '32.93' }],
    });
    expect(Object.keys(payload)).toEqual(Object.keys(SECOND_SCHEMA_DECLARATION.events[0]!.fields).concat(['itens', 'pagamentos']));
    // A cancellation built after its sale was finalised again still says cancelled.
    expect(JSON.parse(arrived.find((e) => e.event_id === ids[4])!.payload)).toMatchObject({ venda: again, situacao: CANCELLED, total: '22.95' });
    expect(JSON.parse(arrived.find((e) => e.event_id === ids[6])!.payload)).toStrictEqual({ sessao: session, numero: 1, valor: '50.00' });

    // The figures agree: 3 sales finalised now, against 5 finalisations minus 2 cancellations centrally.
    const env = { DB_URL: rig.pdv.url!, CENTRAL_API_URL: rig.api.url, CENTRAL_API_TOKEN: rig.token, PUSH_EVENTS_FILE: eventsFile };
    const reconciled = await cli(['reconcile', '--from', DAY, '--to', DAY], env);
    expect(reconciled.stderr).toBe('');
    expect(reconciled.code).toBe(0);
    expect(reconciled.stdout).toMatch(new RegExp(`${DAY}\\s+all\\s+3\\s+65\\.86\\s+3\\s+65\\.86\\s+same`));
    const status = await cli(['status'], { DB_URL: rig.pdv.url!, PUSH_HEALTH_URL: 'http://127.0.0.1:9/health/ready', PULL_HEALTH_URL: 'http://127.0.0.1:9/health/ready' });
    expect(status.stdout).toContain('RECONCILIATION');
    expect(status.stdout).toMatch(new RegExp(`${DAY}\\s+all\\s+3\\s+65\\.86\\s+3\\s+65\\.86\\s+same`));
    expect(status.stdout).not.toContain('DIFFERS');

    expect(await stopGracefully(push)).toBe(0);
  });

  it('a reinstalled PDV whose int keys start again at 1 sends new event ids, all applied, none taken for a replay', async () => {
    const before = await inbox();
    const fresh = await backend.create({ shared: true });
    extra.push(fresh);
    await applySchema(fresh.db, { role: 'pdv' });
    await fresh.db.executeScript(SECOND_SCHEMA_DDL[fresh.db.dialect]);
    const push = await startPush(fresh.db, { DB_URL: fresh.url! });
    const till = new SecondSchemaTill(fresh.db);
    const session = await till.openSession(fresh.db, 1, PDV_ID);
    const sold = await fresh.db.transaction((tx) => till.sell(tx, session, items, '32.93', at));
    await till.bleed(fresh.db, session, 1, '50.00');
    expect([session, sold]).toEqual([1, 1]);

    // Arrived, and recorded as sent on the PDV (its outcome is written once the answer is in).
    await waitFor(
      async () => (await rig.inboxCount()) === before.length + 2 && (await countRows(fresh.db, 'sync_outbox', 'sent_at IS NOT NULL')) === 2,
      60_000,
      'the new PDV\'s events to arrive',
    );
    const installation = await installationOf(fresh.db);
    const ids = [expectedEventId(installation, 'venda.finalizada', '1', 1), expectedEventId(installation, 'caixa.sangria', '1,1', 1)];
    const after = await inbox();
    expect(after.slice(before.length).map((e) => e.event_id).sort()).toEqual([...ids].sort());
    expect(before.map((e) => e.event_id)).not.toContain(ids[0]);
    // Sent, not dead-lettered as conflicts: the central API took them as new events.
    expect(await countRows(fresh.db, 'sync_outbox', 'sent_at IS NOT NULL')).toBe(2);
    expect(await countRows(fresh.db, 'sync_dead_letter')).toBe(0);
    expect(await stopGracefully(push)).toBe(0);
  });
}, ['pglite', 'postgres', 'mssql']);
