import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDecimals, centralSalesFigures, normalizeDecimal, reconcileFigures, subtractDecimals } from '../../packages/core/src/status/reconciliation.js';
import { formatStatus } from '../../packages/core/src/status/status-command.js';
import { readSyncStatus } from '../../packages/core/src/status/status-report.js';
import { applySchema } from '../../packages/core/src/db/schema-runner.js';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';

describe('sales figures (core reconcileFigures, the one comparison)', () => {
  it('adds and compares decimals exactly, whatever their scale', () => {
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(addDecimals('1234567890123456789.0001', '0.9999')).toBe('1234567890123456790');
    expect(subtractDecimals('10.00', '10.0000')).toBe('0');
    expect(subtractDecimals('1', '2.5')).toBe('-1.5');
    expect(normalizeDecimal('10.4500')).toBe('10.45');
    expect(normalizeDecimal('-0.000')).toBe('0');
    expect(normalizeDecimal('not a number')).toBe('0');
  });

  it('nets the central events: a sale finalised, cancelled and finalised again counts once', () => {
    const figures = centralSalesFigures(
      [
        { eventType: 'venda.finalizada', day: '2026-11-30', session: 's1', events: 3, total: '30.00' },
        { eventType: 'venda.cancelada', day: '2026-11-30', session: 's1', events: 1, total: '10.00' },
        { eventType: 'caixa.movimento', day: '2026-11-30', session: 's1', events: 9, total: '999' },
        { eventType: 'venda.cancelada', day: '2026-11-30', session: 's2', events: 1, total: '5' },
      ],
      'venda.finalizada',
      ['venda.cancelada'],
    );
    expect(figures).toEqual([
      { day: '2026-11-30', session: 's1', sales: 2, total: '20' },
      { day: '2026-11-30', session: 's2', sales: -1, total: '-5' },
    ]);
  });

  it('compares per session and per day; a side without a session counts as zero; unknown central figures give no verdict', () => {
    const local = [
      { day: '2026-11-29', session: 'a', sales: 2, total: '20.00' },
      { day: '2026-11-30', session: 'a', sales: 3, total: '30.50' },
      { day: '2026-11-30', session: 'b', sales: 1, total: '1.00' },
    ];
    const central = [
      { day: '2026-11-29', session: 'a', sales: 2, total: '20' },
      { day: '2026-11-30', session: 'a', sales: 3, total: '30.5' },
      { day: '2026-11-30', session: 'c', sales: 1, total: '7' },
    ];
    const { days, sessions } = reconcileFigures(local, central);
    expect(days.map((d) => [d.day, d.matches, d.difference])).toEqual([
      ['2026-11-29', true, { sales: 0, total: '0' }],
      ['2026-11-30', false, { sales: 0, total: '-6' }],
    ]);
    expect(sessions.filter((s) => s.matches === false).map((s) => [s.session, s.local, s.central])).toEqual([
      ['b', { sales: 1, total: '1' }, { sales: 0, total: '0' }],
      ['c', { sales: 0, total: '0' }, { sales: 1, total: '7' }],
    ]);
    const unknown = reconcileFigures(local, null);
    expect(unknown.days.every((d) => d.matches === null && d.central === null && d.difference === null)).toBe(true);
  });
});

describeBackends('status shows the reconciliation, differences highlighted', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.create();
    await applySchema(t.db, { role: 'pdv' });
  });
  afterAll(async () => t?.dispose());

  it('one line per day, the sessions that differ after it, each difference marked', async () => {
    const rows = [
      ['2026-11-29', 's1', 4, '40.00', 4, '40.00', null],
      ['2026-11-30', 's1', 3, '30.00', 3, '30.00', null],
      ['2026-11-30', 's2', 2, '25.50', 1, '15.50', null],
      ['2026-12-01', 's3', 1, '9.99', null, null, 'GET /v1/reconciliation answered 503 Service Unavailable'],
    ] as const;
    for (const row of rows) {
      await t.db.query(
        t.db.dialect === 'mssql'
          ? 'INSERT INTO dbo.sync_reconciliation (day, session_key, local_sales, local_total, central_sales, central_total, central_error) VALUES (@p1, @p2, @p3, @p4, @p5, @p6, @p7)'
          : 'INSERT INTO sync_reconciliation (day, session_key, local_sales, local_total, central_sales, central_total, central_error) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [...row],
      );
    }
    const status = await readSyncStatus(t.db, { pull: 'http://127.0.0.1:9/', push: 'http://127.0.0.1:9/' }, 200);
    expect(status.reconciliation?.days.map((d) => [d.day, d.matches])).toEqual([['2026-11-29', true], ['2026-11-30', false], ['2026-12-01', null]]);
    expect(status.captures).toEqual({ pending: 0, oldestAgeSeconds: null });
    const text = formatStatus(status);
    const lines = text.split('\n');
    expect(lines.find((l) => l.includes('2026-11-29'))).toMatch(/^\s+2026-11-29\s+all\s+4\s+40\s+4\s+40\s+same$/);
    expect(lines.find((l) => l.includes('2026-11-30') && l.includes('all'))).toMatch(/^\s+!!\s+2026-11-30\s+all\s+5\s+55\.5\s+4\s+45\.5\s+DIFFERS by \+1 sales, \+10$/);
    expect(lines.find((l) => l.includes('s2'))).toMatch(/^\s+!!\s+2026-11-30\s+s2\s+2\s+25\.5\s+1\s+15\.5\s+DIFFERS by \+1 sales, \+10$/);
    expect(lines.find((l) => l.includes('2026-12-01'))).toMatch(/2026-12-01\s+all\s+1\s+9\.99\s+\?\s+\?\s+central unknown$/);
    expect(text).toContain('central figures unavailable: GET /v1/reconciliation answered 503');
    expect(text).toContain('sales captured, not yet events 0');
  });
}, ['pglite', 'postgres', 'mssql']);
