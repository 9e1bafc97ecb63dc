import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTypedParameters } from '../../core/test/support/mssql-parameter-types.js';
import { expectValidTsql } from '../../core/test/support/tsql-grammar.js';
import { describeBackends } from '../../core/test/support/backends.js';
import { figuresSql } from '../src/ingest/reconciliation-store.mssql.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { makeEvent, vendaPayload } from './support/events.js';

const DAY = '2026-11-30';
const QUERY = `from=${DAY}&to=${DAY}&type=venda.finalizada&type=venda.cancelada&dayField=iniciada_em&sessionField=caixa_sessao_id&totalField=total`;

describeBackends('GET /v1/reconciliation', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, { EVENT_HANDLERS: 'venda.finalizada=sync_handle_venda,venda.cancelada=sync_handle_venda_cancelada' });
  });
  afterAll(async () => h?.close());

  const sale = (pdv: { pdvId: string; lojaId: number }, session: string, total: string, day = DAY, vendaId = randomUUID()) => ({
    ...vendaPayload({ pdvId: pdv.pdvId, lojaId: pdv.lojaId, vendaId, total }),
    caixa_sessao_id: session,
    iniciada_em: `${day}T10:00:00.1234567`,
  });
  const post = async (token: string, events: ReturnType<typeof makeEvent>[]) => {
    const response = await h.postJson('/v1/events', { events }, { token });
    expect(response.status).toBe(200);
    return (response.json as { results: { status: string }[] }).results.map((r) => r.status);
  };

  it('counts the caller\'s sale events per type, day and session, with their totals to the last digit', async () => {
    const [s1, s2] = [randomUUID(), randomUUID()];
    const cancelled = sale(PDVS.a, s1, '0.0001');
    const statuses = await post(PDVS.a.token, [
      makeEvent({ type: 'venda.finalizada', payload: JSON.stringify(sale(PDVS.a, s1, '1234567.8912')) }),
      makeEvent({ type: 'venda.finalizada', payload: JSON.stringify(cancelled) }),
      makeEvent({ type: 'venda.cancelada', payload: JSON.stringify({ ...cancelled, status: 'CANCELADA' }) }),
      makeEvent({ type: 'venda.finalizada', payload: JSON.stringify(sale(PDVS.a, s2, '10.5000')) }),
      // Another day, another type, another PDV: none of them count.
      makeEvent({ type: 'venda.finalizada', payload: JSON.stringify(sale(PDVS.a, s2, '99.0000', '2026-11-29')) }),
      makeEvent({ type: 'caixa.movimento', payload: JSON.stringify({ caixa_sessao_id: s1, iniciada_em: DAY, total: '5' }) }),
    ]);
    expect(statuses).toEqual(['applied', 'applied', 'applied', 'applied', 'applied', 'applied']);
    await post(PDVS.b.token, [makeEvent({ type: 'venda.finalizada', payload: JSON.stringify(sale(PDVS.b, s1, '7.0000')) })]);

    const response = await h.request(`/v1/reconciliation?${QUERY}`, { headers: { authorization: `Bearer ${PDVS.a.token}` } });
    expect(response.status).toBe(200);
    const body = response.json as { pdvId: string; figures: { eventType: string; day: string; session: string; events: number; total: string }[] };
    expect(body.pdvId).toBe(PDVS.a.pdvId);
    const figures = body.figures.map((f) => ({ ...f, total: f.total.replace(/\.?0+$/, '') })).sort((a, b) => `${a.session}${a.eventType}`.localeCompare(`${b.session}${b.eventType}`));
    expect(figures).toEqual(
      [
        { eventType: 'venda.cancelada', day: DAY, session: s1, events: 1, total: '0.0001' },
        { eventType: 'venda.finalizada', day: DAY, session: s1, events: 2, total: '1234567.8913' },
        { eventType: 'venda.finalizada', day: DAY, session: s2, events: 1, total: '10.5' },
      ].sort((a, b) => `${a.session}${a.eventType}`.localeCompare(`${b.session}${b.eventType}`)),
    );
  });

  it('counts an event whose total is not a decimal with no total, and leaves out one with no readable day, without failing', async () => {
    // A type no handler checks; a payload that is not JSON at all can only be in the inbox by hand (the contract
    // refuses one), and must not break the figures either.
    const session = randomUUID();
    const p = (n: number) => (h.db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
    await h.db.query(`INSERT INTO sync_inbox (pdv_id, event_id, event_type, stream_key, payload_hash, payload) VALUES (${p(1)}, ${p(2)}, 'venda.importada', 'caixa:x', ${p(3)}, 'not json at all')`, [
      PDVS.a.pdvId, randomUUID(), 'a'.repeat(64),
    ]);
    expect(await post(PDVS.a.token, [
      makeEvent({ type: 'venda.importada', payload: JSON.stringify({ ...sale(PDVS.a, session, '1'), total: 'dez reais' }) }),
      makeEvent({ type: 'venda.importada', payload: JSON.stringify(sale(PDVS.a, session, '2.5')) }),
    ])).toEqual(['applied', 'applied']);
    const query = QUERY.replace('type=venda.finalizada&type=venda.cancelada', 'type=venda.importada');
    const response = await h.request(`/v1/reconciliation?${query}`, { headers: { authorization: `Bearer ${PDVS.a.token}` } });
    expect(response.status).toBe(200);
    const figures = (response.json as { figures: { session: string; events: number; total: string; day: string }[] }).figures;
    expect(figures.find((f) => f.session === session)).toMatchObject({ events: 2, total: expect.stringMatching(/^2\.50*$/) });
    // No day can be read from it, so it belongs to no day's figures.
    expect(figures.every((f) => f.day === DAY)).toBe(true);
  });

  it('refuses a bad range, type or field name with 400 naming the parameter, and an unknown token with 401', async () => {
    const auth = { headers: { authorization: `Bearer ${PDVS.a.token}` } };
    const cases: [string, string][] = [
      [QUERY.replace(`from=${DAY}`, 'from=30/11/2026'), 'from'],
      [QUERY.replace(`from=${DAY}`, 'from=2026-10-01'), 'to'],
      [QUERY.replace(`to=${DAY}`, 'to=2026-11-29'), 'to'],
      [QUERY.replace('totalField=total', "totalField=total'--"), 'totalField'],
      [QUERY.replace('dayField=iniciada_em', 'dayField=a.b'), 'dayField'],
      [QUERY.replace('type=venda.finalizada&type=venda.cancelada', 'type=Venda'), 'type'],
      [QUERY.replace('&sessionField=caixa_sessao_id', ''), 'sessionField'],
    ];
    for (const [query, field] of cases) {
      const response = await h.request(`/v1/reconciliation?${query}`, auth);
      expect(response.status, query).toBe(400);
      expect(response.json).toMatchObject({ field });
    }
    expect((await h.request(`/v1/reconciliation?${QUERY}`, { headers: { authorization: 'Bearer not-a-known-token-at-all' } })).status).toBe(401);
  });

  it('venda.cancelada takes the sale out of venda_central; the sale finalised again comes back; a cancellation of an unknown sale is refused', async () => {
    const vendaId = randomUUID();
    const session = randomUUID();
    const finalised = JSON.stringify(sale(PDVS.a, session, '3.0000', DAY, vendaId));
    const cancellation = JSON.stringify({ ...sale(PDVS.a, session, '3.0000', DAY, vendaId), status: 'CANCELADA' });
    const count = async () => Number((await h.db.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM venda_central WHERE venda_id = ${h.db.dialect === 'mssql' ? '@p1' : '$1'}`, [vendaId])).rows[0]!.n);
    expect(await post(PDVS.a.token, [makeEvent({ type: 'venda.finalizada', payload: finalised })])).toEqual(['applied']);
    expect(await count()).toBe(1);
    expect(await post(PDVS.a.token, [makeEvent({ type: 'venda.cancelada', payload: cancellation })])).toEqual(['applied']);
    expect(await count()).toBe(0);
    expect(await post(PDVS.a.token, [makeEvent({ type: 'venda.finalizada', payload: finalised })])).toEqual(['applied']);
    expect(await count()).toBe(1);
    const unknown = JSON.stringify({ ...sale(PDVS.a, session, '1.0000'), status: 'CANCELADA' });
    expect(await post(PDVS.a.token, [makeEvent({ type: 'venda.cancelada', payload: unknown })])).toEqual(['rejected']);
  });
});

describe('GET /v1/reconciliation statement (mssql)', () => {
  const sql = figuresSql({ pdvId: 'p', from: DAY, to: DAY, types: ['venda.finalizada'], dayField: 'iniciada_em', sessionField: 'caixa_sessao_id', totalField: 'total' });
  it('parses', () => expectValidTsql(sql));
  it('compares no nvarchar parameter with a varchar column', async () => expectTypedParameters(sql));
});
