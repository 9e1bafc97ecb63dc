import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthState } from '@goldpdv/core';
import { applySchema } from '../../packages/core/src/db/schema-runner.js';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { DAEMON_ENTRY, spawnDaemon } from '../../packages/core/test/support/spawn-daemon.js';
import { BUNDLED_EVENTS_FILE } from '../src/config.js';
import { loadEventsDeclaration, parseEventsDeclaration } from '../src/events/declaration/load-declaration.js';
import { OutboxEvents } from '../src/events/outbox-events.js';
import { catalogProblems, readColumnCatalog } from '../src/events/payload/column-catalog.js';
import { SECOND_SCHEMA_DDL, SECOND_SCHEMA_DECLARATION } from './support/second-schema.js';

const problemsOf = (raw: unknown): string[] => {
  try {
    parseEventsDeclaration(raw, 'events.json');
  } catch (error) {
    return (error as Error).message.split('\n');
  }
  return [];
};
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('the events declaration', () => {
  it('bundled: the sample GoldPDV events, with the sale cancellation, grouped by table', () => {
    const model = loadEventsDeclaration(BUNDLED_EVENTS_FILE);
    expect(model.events.map((e) => e.type)).toEqual(['venda.finalizada', 'venda.cancelada', 'caixa.movimento', 'nfe.autorizada', 'nfe.cancelada']);
    expect(model.sources.map((s) => [s.id, s.statusColumn, s.watchedValues, s.capturesInserts])).toEqual([
      ['venda', 'status', ['FINALIZADA', 'CANCELADA'], false],
      ['caixa_movimento', null, [], true],
      ['nfe_documento', 'status', ['AUTORIZADA', 'CANCELADA'], false],
    ]);
    expect(model.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(loadEventsDeclaration(BUNDLED_EVENTS_FILE).hash).toBe(model.hash);
    expect(model.reconciliation).toMatchObject({ dayField: 'iniciada_em', sessionField: 'caixa_sessao_id', totalField: 'total' });
  });

  it('says every problem of a file at once, one line each, naming the field', () => {
    const bad = clone(SECOND_SCHEMA_DECLARATION) as unknown as { events: Record<string, unknown>[] };
    (bad.events[0]!.source as { key: { type: string }[] }).key[0]!.type = 'varchar';
    bad.events[1]!.type = 'Venda Cancelada';
    (bad.events[2] as Record<string, unknown>).colour = 'blue';
    (bad.events[2]!.fields as Record<string, unknown>)['1valor'] = 'Valor';
    expect(problemsOf(bad)).toEqual([
      'PUSH_EVENTS_FILE: events.json: events[0].source.key[0].type: expected one of int, bigint, uniqueidentifier; found "varchar"',
      'PUSH_EVENTS_FILE: events.json: events[1].type: expected an event type such as "venda.finalizada" (lowercase words separated by dots); found "Venda Cancelada"',
      'PUSH_EVENTS_FILE: events.json: events[2].fields["1valor"]: expected a field name (a letter or underscore, then letters, digits or underscores, at most 64); found the name "1valor"',
      'PUSH_EVENTS_FILE: events.json: events[2]: unknown field "colour"',
    ]);
  });

  it('refuses what the schema alone cannot see: duplicates, unknown lookups, clashing names, tables declared two ways', () => {
    const bad = clone(SECOND_SCHEMA_DECLARATION) as unknown as { events: Record<string, unknown>[]; reconciliation: Record<string, unknown> };
    bad.events[1]!.type = 'venda.finalizada';
    (bad.events[1]!.fires as Record<string, unknown>).column = 'Estado';
    (bad.events[0]!.fields as Record<string, unknown>).loja = { lookup: 'loja', column: 'LojaId' };
    (bad.events[0]!.fields as Record<string, unknown>).itens = 'VendaId';
    (bad.events[2]!.source as { table: { name: string } }).table.name = 'venda';
    bad.events.push({ ...clone(bad.events[2]!), type: 'caixa.sangria2', source: { table: { schema: 'vendas', name: 'VENDA' }, key: [{ column: 'VendaId', type: 'int' }] } });
    bad.reconciliation.total = 'valor';
    bad.reconciliation.minus = [];
    expect(problemsOf(bad)).toEqual([
      'PUSH_EVENTS_FILE: events.json: events[0].fields.loja: no lookup named "loja" in this event',
      'PUSH_EVENTS_FILE: events.json: events[0].children[0].field: "itens" is also a field',
      'PUSH_EVENTS_FILE: events.json: events[1].type: "venda.finalizada" is declared twice (also events[0])',
      'PUSH_EVENTS_FILE: events.json: events[1].fires.column: events of vendas.Venda must watch the same status column ("Situacao")',
      'PUSH_EVENTS_FILE: events.json: events[2].source.table: write "vendas.venda" the same way as in the other events ("vendas.Venda")',
      'PUSH_EVENTS_FILE: events.json: events[3].source.table: write "vendas.VENDA" the same way as in the other events ("vendas.Venda")',
      'PUSH_EVENTS_FILE: events.json: reconciliation.total: "valor" is not a field of venda.finalizada',
    ]);
  });

  it('a file that cannot be read or is not JSON is one line too', () => {
    const folder = mkdtempSync(join(tmpdir(), 'goldpdv-declaration-'));
    try {
      writeFileSync(join(folder, 'broken.json'), '{"events": [');
      expect(() => loadEventsDeclaration(join(folder, 'broken.json'))).toThrow(/^PUSH_EVENTS_FILE: .*broken\.json: not valid JSON \(/);
      expect(() => loadEventsDeclaration(join(folder, 'missing.json'))).toThrow(/^PUSH_EVENTS_FILE: .*missing\.json: cannot read the file \(ENOENT\)$/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('push-service refuses to start on an invalid declaration: exit 2, one line per problem', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'goldpdv-declaration-'));
    try {
      const file = join(folder, 'events.json');
      writeFileSync(file, JSON.stringify({ events: [{ type: 'x' }] }));
      const daemon = spawnDaemon(DAEMON_ENTRY['push-service'], {
        PDV_ID: 'loja01-pdv01', CENTRAL_API_URL: 'http://127.0.0.1:9', CENTRAL_API_TOKEN: 'x'.repeat(32), DB_URL: 'postgres://nobody@127.0.0.1:9/none',
        HEALTH_PORT: '0', PUSH_EVENTS_FILE: file,
      });
      const exit = await daemon.exited;
      expect(exit.code).toBe(2);
      const lines = daemon.stderr().trim().split('\n');
      // The event has only a type: each missing field is its own line.
      expect(lines[0]!.startsWith(`push-service: invalid configuration: PUSH_EVENTS_FILE: ${file}: events[0].`)).toBe(true);
      expect(lines.length).toBeGreaterThanOrEqual(4);
      for (const line of lines.slice(1)) expect(line.startsWith(`PUSH_EVENTS_FILE: ${file}: events[0].`)).toBe(true);
      expect(lines.some((line) => line.endsWith('events[0].source: expected object; found nothing'))).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describeBackends('a declaration that does not fit the database', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.create();
    await applySchema(t.db, { role: 'pdv' });
    await t.db.executeScript(SECOND_SCHEMA_DDL[t.db.dialect]);
  });
  afterAll(async () => t?.dispose());

  it('is reported one line per problem, installs nothing, shows in health, and is picked up once fixed', async () => {
    const declared = clone(SECOND_SCHEMA_DECLARATION) as unknown as { events: Record<string, unknown>[] };
    (declared.events[0]!.fields as Record<string, unknown>).desconto = 'Desconto';
    (declared.events[2]!.source as { key: { type: string }[] }).key[1]!.type = 'bigint';
    const model = parseEventsDeclaration(declared, 'events.json');
    expect(catalogProblems(model, await readColumnCatalog(t.db, model))).toEqual([
      'events[0] (venda.finalizada) fields.desconto: vendas.Venda has no column "Desconto"',
      'events[2] (caixa.sangria) key: column "Numero" of vendas.Sangria is integer, not bigint as declared'.replace('integer', t.db.dialect === 'mssql' ? 'int' : 'integer'),
    ]);
    const errors: string[] = [];
    const logger = {
      ...Object.fromEntries(['trace', 'debug', 'info', 'warn', 'fatal'].map((l) => [l, () => undefined])),
      error: (o: { problem: string }) => errors.push(o.problem),
    } as never;
    const health = new HealthState({ maxLoopSilenceMs: 60_000, requiredComponents: [] });
    const events = new OutboxEvents(t.db, model, { autoApply: true, batchSize: 10, sweep: null, schemaTimeoutMs: 60_000, retryMs: 0 }, logger, health);
    expect(await events.runRound()).toBeNull();
    expect(errors).toHaveLength(2);
    expect(health.readiness().degraded?.['outbox-events']).toBeDefined();
    expect((await t.db.query('SELECT declaration_hash FROM sync_event_declaration')).rows).toEqual([]);

    await t.db.query(t.db.dialect === 'mssql' ? 'ALTER TABLE vendas.Venda ADD Desconto decimal(14,2) NULL' : 'ALTER TABLE vendas."Venda" ADD "Desconto" numeric(14,2) NULL');
    await t.db.query(t.db.dialect === 'mssql' ? 'ALTER TABLE vendas.Sangria ALTER COLUMN Numero bigint NOT NULL' : 'ALTER TABLE vendas."Sangria" ALTER COLUMN "Numero" TYPE bigint');
    expect(await events.runRound()).toMatchObject({ captures: 0 });
    expect(health.readiness().degraded?.['outbox-events']).toBeUndefined();
  });
}, ['pglite', 'postgres', 'mssql']);
