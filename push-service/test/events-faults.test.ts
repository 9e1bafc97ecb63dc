import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { HealthState } from '@goldpdv/core';
import { applySchema } from '../../packages/core/src/db/schema-runner.js';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { parseEventsDeclaration } from '../src/events/declaration/load-declaration.js';
import { OutboxEvents } from '../src/events/outbox-events.js';
import { countRows } from './support/outbox-fixtures.js';
import { runCli } from './support/run-cli.js';
import { CANCELLED, FINALISED, SECOND_SCHEMA_DDL, SECOND_SCHEMA_DECLARATION, SecondSchemaTill } from './support/second-schema.js';

/**
 * The producer's faults on a real database. The capture trigger runs inside the sale and does nothing that can
 * fail; everything else (the payload, the outbox row) happens later in push-service's own transactions. So each
 * fault here leaves the sale committed, and its event captured (waiting in sync_capture, or a dead letter with
 * its reason) or found later by the sweep; once the cause is fixed the event goes up, once.
 */
describeBackends('producer faults never lose a sale or its event', (backend) => {
  let t: TestDatabase;
  let events: OutboxEvents;
  let till: SecondSchemaTill;
  let session: number;
  const lines: { level: string; msg: string; [key: string]: unknown }[] = [];
  const logger = Object.fromEntries(
    ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((level) => [level, (obj: object, msg: string) => lines.push({ ...obj, level, msg })]),
  ) as never;
  const model = parseEventsDeclaration(SECOND_SCHEMA_DECLARATION, 'second-schema.json');
  const items = [{ produto: '789', descricao: 'Pão francês', qtd: '0.350', preco: '18.90', total: '6.62' }];
  const at = '2026-11-30 09:00:00.000000';

  let folder: string;
  let file: string;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'goldpdv-faults-'));
    file = join(folder, 'outbox-events.json');
    writeFileSync(file, JSON.stringify(SECOND_SCHEMA_DECLARATION));
    t = await backend.create({ shared: true });
    await applySchema(t.db, { role: 'pdv' });
    await t.db.executeScript(SECOND_SCHEMA_DDL[t.db.dialect]);
    const health = new HealthState({ maxLoopSilenceMs: 60_000, requiredComponents: [] });
    events = new OutboxEvents(t.db, model, { autoApply: true, batchSize: 100, sweep: { intervalMs: 0, pageRows: 1_000 }, schemaTimeoutMs: 60_000 }, logger, health);
    await events.runRound();
    till = new SecondSchemaTill(t.db);
    session = await till.openSession(t.db, 1, 'loja01-pdv01');
  });
  afterAll(async () => {
    await t?.dispose();
    rmSync(folder, { recursive: true, force: true });
  });
  beforeEach(() => {
    lines.length = 0;
  });

  const mssql = () => t.db.dialect === 'mssql';
  const saleExists = async (id: number, status: number) =>
    (await till.run<{ n: unknown }>(t.db, `SELECT COUNT(*) AS n FROM vendas."Venda" WHERE "VendaId" = $1 AND "Situacao" = $2`, [id, status])).rows[0]!.n;
  const outboxOf = async (type: string) =>
    (await t.db.query<{ payload: string }>(`SELECT payload FROM sync_outbox WHERE event_type = ${mssql() ? '@p1' : '$1'} ORDER BY outbox_id`, [type])).rows.map((r) => JSON.parse(r.payload) as Record<string, unknown>);
  const rename = (from: string, to: string) =>
    t.db.query(mssql() ? `EXEC sp_rename N'vendas.${from}', N'${to}'` : `ALTER TABLE vendas."${from}" RENAME TO "${to}"`);

  it('a payload that cannot be built (a child table gone) becomes a dead letter with its reason; the sale stays; rebuilt once the table is back', async () => {
    const sale = await t.db.transaction((tx) => till.sell(tx, session, items, '6.62', at));
    expect(await countRows(t.db, 'sync_capture')).toBe(1);
    // Renamed by a POS upgrade between the sale and its payload: the payload's query fails.
    await rename('VendaPagamento', 'VendaPagamentoAntiga');
    try {
      expect(await events.runRound()).toMatchObject({ captures: 1, events: 0, unbuilt: 1 });
      expect(Number(await saleExists(sale, FINALISED))).toBe(1);
      const { rows } = await t.db.query<{ event_type: string; reason: string; payload: string }>('SELECT event_type, reason, payload FROM sync_dead_letter');
      expect(rows).toHaveLength(1);
      expect(rows[0]!.event_type).toBe('venda.finalizada');
      expect(rows[0]!.reason).toMatch(/^payload not built: the database refused the payload query: /);
      expect(JSON.parse(rows[0]!.payload)).toEqual({ payload_not_built: { source: 'vendas.Venda', key: String(sale), transition: 1, status: String(FINALISED) } });
      expect(lines.some((l) => l.msg.includes('its payload could not be built (the sale itself is unaffected)'))).toBe(true);
      const early = await runCli(['events', 'rebuild', '--all'], t.url!, { PUSH_EVENTS_FILE: file });
      expect(early.code).toBe(1);
      expect(early.stderr).toMatch(/no table vendas\.VendaPagamento/);
    } finally {
      await rename('VendaPagamentoAntiga', 'VendaPagamento');
    }
    const rebuilt = await runCli(['events', 'rebuild', '--all'], t.url!, { PUSH_EVENTS_FILE: file });
    expect(rebuilt.stderr).toBe('');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/^rebuilt [0-9a-f-]{36} \(venda\.finalizada vendas\.Venda \d+\), back in the outbox\n$/);
    expect(await countRows(t.db, 'sync_dead_letter')).toBe(0);
    expect((await outboxOf('venda.finalizada')).filter((p) => p.venda === sale)).toEqual([expect.objectContaining({ situacao: FINALISED, pagamentos: [{ seq: 1, forma: 3, valor: '6.62' }] })]);
  });

  it('a sale deleted before its payload was built: a dead letter saying so, and the other events of the round go on', async () => {
    const gone = await t.db.transaction((tx) => till.sell(tx, session, items, '6.62', at));
    const kept = await t.db.transaction((tx) => till.sell(tx, session, items, '6.62', at));
    await till.run(t.db, `DELETE FROM vendas."VendaItem" WHERE "VendaId" = $1`, [gone]);
    await till.run(t.db, `DELETE FROM vendas."VendaPagamento" WHERE "VendaId" = $1`, [gone]);
    await till.run(t.db, `DELETE FROM vendas."Venda" WHERE "VendaId" = $1`, [gone]);
    expect(await events.runRound()).toMatchObject({ captures: 2, events: 1, unbuilt: 1 });
    const { rows } = await t.db.query<{ reason: string }>(`SELECT reason FROM sync_dead_letter`);
    expect(rows.map((r) => r.reason)).toContain('payload not built: the vendas.Venda row no longer exists');
    expect((await outboxOf('venda.finalizada')).filter((p) => p.venda === kept)).toHaveLength(1);
    await t.db.query('DELETE FROM sync_dead_letter');
  });

  it('a constraint on sync_outbox that refuses the event: the sale commits, the capture waits, and the event goes in once the constraint is gone', async () => {
    // A trigger of a DBA's own, or a check, on the outbox: the old producer's insert inside the sale would have
    // failed with it, and the sale with it.
    await t.db.query(`ALTER TABLE sync_outbox ADD CONSTRAINT ck_no_cancel CHECK (event_type <> 'venda.cancelada')`);
    let sale = 0;
    try {
      sale = await t.db.transaction((tx) => till.sell(tx, session, items, '6.62', at));
      await events.runRound();
      await till.setStatus(t.db, sale, CANCELLED);
      expect(Number(await saleExists(sale, CANCELLED))).toBe(1);
      await expect(events.runRound()).rejects.toThrow(/ck_no_cancel/);
      expect(await countRows(t.db, 'sync_capture')).toBe(1);
      await expect(events.runRound()).rejects.toThrow(/ck_no_cancel/);
    } finally {
      await t.db.query('ALTER TABLE sync_outbox DROP CONSTRAINT ck_no_cancel');
    }
    expect(await events.runRound()).toMatchObject({ captures: 1, events: 1 });
    expect((await outboxOf('venda.cancelada')).filter((p) => p.venda === sale)).toEqual([expect.objectContaining({ situacao: CANCELLED })]);
    expect(await countRows(t.db, 'sync_capture')).toBe(0);
  });

  it('two push-service processes on one PDV turn a capture into one event: the later round is redone, not recorded twice', async () => {
    const health = new HealthState({ maxLoopSilenceMs: 60_000, requiredComponents: [] });
    const other = new OutboxEvents(t.db, model, { autoApply: true, batchSize: 100, sweep: null, schemaTimeoutMs: 60_000 }, logger, health);
    await other.runRound();
    const sale = await t.db.transaction((tx) => till.sell(tx, session, items, '6.62', at));
    const results = await Promise.allSettled([events.runRound(), other.runRound()]);
    const conflicts = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
    for (const conflict of conflicts) expect(conflict).toMatch(/capture round not recorded|duplicate key|PK_sync_event_state|pk_sync_event_state/);
    await events.runRound();
    expect((await outboxOf('venda.finalizada')).filter((p) => p.venda === sale)).toHaveLength(1);
    expect(await countRows(t.db, 'sync_capture')).toBe(0);
  });

  // Last: it leaves the sales table without its capture trigger.
  it('helper functions missing: the capture calls none (the old producer\'s may go); a capture trigger gone: the sale commits and the sweep finds it', async () => {
    // The hand-written producer's helpers, which its triggers called inside the sale.
    if (mssql()) await t.db.executeScript('DROP FUNCTION dbo.sync_venda_finalizada_payload; DROP FUNCTION dbo.sync_event_id;');
    else await t.db.executeScript('DROP FUNCTION sync_outbox_refresh_venda(uuid) CASCADE; DROP FUNCTION sync_venda_finalizada_payload(uuid) CASCADE; DROP FUNCTION sync_event_id(text, uuid) CASCADE;');
    const captured = await t.db.transaction((tx) => till.sell(tx, session, items, '6.62', at));
    expect(await countRows(t.db, 'sync_capture')).toBe(1);

    // The capture itself gone (its function dropped with its trigger, or the trigger dropped): nothing is
    // captured, nothing fails.
    const source = model.sources.find((s) => s.id === 'vendas.Venda')!;
    if (mssql()) await t.db.query(`DROP TRIGGER vendas.${source.captureName}`);
    else await t.db.query(`DROP FUNCTION "${source.captureName}"() CASCADE`);
    const missed = await t.db.transaction((tx) => till.sell(tx, session, items, '6.62', at));
    expect(Number(await saleExists(missed, FINALISED))).toBe(1);
    expect(await countRows(t.db, 'sync_capture')).toBe(1);

    // Rounds until the sweep has walked both declared tables.
    const rounds = [await events.runRound(), await events.runRound(), await events.runRound()];
    expect(rounds.reduce((n, r) => n + (r?.captures ?? 0), 0)).toBe(1);
    expect(rounds.reduce((n, r) => n + (r?.swept ?? 0), 0)).toBe(1);
    const sent = (await outboxOf('venda.finalizada')).map((p) => p.venda);
    expect(sent.filter((v) => v === captured)).toHaveLength(1);
    expect(sent.filter((v) => v === missed)).toHaveLength(1);
    expect(lines.some((l) => l.msg.startsWith('event found by the reconciliation sweep') && l.key === String(missed))).toBe(true);
    // Further passes find nothing more.
    for (let i = 0; i < 4; i++) expect(await events.runRound()).toMatchObject({ captures: 0, swept: 0 });
  });
}, ['pglite', 'postgres', 'mssql']);
