import { randomUUID } from 'node:crypto';
import { tokenHash } from '@goldpdv/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { PDVS, startHarness, type Harness } from './support/central-harness.js';
import { caixaMovimentoEvent, makeEvent, vendaEvent, vendaPayload } from './support/events.js';

interface Result {
  index: number;
  status: string;
  httpStatus: number;
  result?: string;
  error?: { code: string; message: string };
}

const HANDLERS = 'venda.finalizada=sync_handle_venda,caixa.movimento=sync_handle_caixa_movimento';

describeBackends('event handlers (EVENT_HANDLERS)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, { EVENT_HANDLERS: HANDLERS });
  });
  afterAll(async () => h?.close());

  const p = (n: number) => (h.db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
  const post = async (events: unknown[], token: string = PDVS.a.token): Promise<Result[]> => {
    const response = await h.postJson('/v1/events', { events }, { token });
    expect(response.status).toBe(200);
    return (response.json as { results: Result[] }).results;
  };
  const count = async (table: string, column: string, id: string) =>
    Number((await h.db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ${p(1)}`, [id])).rows[0]!.n);
  const inInbox = (eventId: string) => count('sync_inbox', 'event_id', eventId);

  it('applies a venda with exact decimals and its items, once', async () => {
    const vendaId = randomUUID();
    const itens = [
      { item_numero: 1, produto_id: 5, descricao: 'Café torrado 500g', quantidade: '3.0000', preco_unitario: '411522.6304', desconto: '0.0000', total: '1234567.8912' },
      { item_numero: 2, produto_id: 7, descricao: 'Pão de queijo', quantidade: '0.0001', preco_unitario: '0.0001', desconto: '0.0000', total: '0.0001' },
    ];
    const event = vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId, total: '1234567.8913', itens });
    const [applied] = await post([event]);
    const expectedResult = `{"venda_id":"${vendaId}","itens":2,"pagamentos":1}`;
    expect(applied).toMatchObject({ status: 'applied', httpStatus: 201, result: expectedResult });

    const venda = await h.db.query<{ total: string; loja_id: number; pdv_id: string; finalizada_em: string }>(
      `SELECT CAST(total AS varchar(40)) AS total, loja_id, pdv_id FROM venda_central WHERE venda_id = ${p(1)}`,
      [vendaId],
    );
    expect(venda.rows).toEqual([{ total: '1234567.8913', loja_id: 1, pdv_id: PDVS.a.pdvId }]);
    const items = await h.db.query<{ total: string; quantidade: string; descricao: string }>(
      `SELECT CAST(total AS varchar(40)) AS total, CAST(quantidade AS varchar(40)) AS quantidade, descricao
         FROM venda_item_central WHERE venda_id = ${p(1)} ORDER BY item_numero`,
      [vendaId],
    );
    expect(items.rows).toEqual([
      { total: '1234567.8912', quantidade: '3.0000', descricao: 'Café torrado 500g' },
      { total: '0.0001', quantidade: '0.0001', descricao: 'Pão de queijo' },
    ]);

    // The replay answers the stored result without calling the handler again (which would raise a duplicate key).
    const [replayed] = await post([event]);
    expect(replayed).toMatchObject({ status: 'duplicate', httpStatus: 200, result: expectedResult });
    expect(await count('venda_central', 'venda_id', vendaId)).toBe(1);
    expect(await count('venda_item_central', 'venda_id', vendaId)).toBe(2);
  });

  it('applies a caixa movement', async () => {
    const event = caixaMovimentoEvent(PDVS.a.pdvId, 1, '150.2500');
    const [result] = await post([event]);
    const id = (JSON.parse(event.payload) as { caixa_movimento_id: string }).caixa_movimento_id;
    expect(result).toMatchObject({ status: 'applied', result: `{"caixa_movimento_id":"${id}"}` });
    const { rows } = await h.db.query<{ valor: string }>(`SELECT CAST(valor AS varchar(40)) AS valor FROM caixa_movimento_central WHERE caixa_movimento_id = ${p(1)}`, [id]);
    expect(rows).toEqual([{ valor: '150.2500' }]);
  });

  it('rejects the one event its handler refuses (422), applies its neighbours, and keeps no inbox row for it', async () => {
    const good1 = vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1 });
    const { total: _missing, ...withoutTotal } = vendaPayload({ pdvId: PDVS.a.pdvId, lojaId: 1 });
    const bad = makeEvent({ type: 'venda.finalizada', payload: JSON.stringify(withoutTotal) });
    // A payload that is not JSON never reaches the handler: the envelope check refuses it first (400).
    const notJson = makeEvent({ type: 'venda.finalizada', payload: '{"venda_id": ' });
    const otherPdv = vendaEvent({ pdvId: PDVS.b.pdvId, lojaId: 2 });
    const good2 = caixaMovimentoEvent(PDVS.a.pdvId, 1);
    const plain = makeEvent();

    const results = await post([good1, bad, notJson, otherPdv, good2, plain]);
    expect(results.map((r) => [r.status, r.httpStatus])).toEqual([
      ['applied', 201],
      ['rejected', 422],
      ['rejected', 400],
      ['rejected', 422],
      ['applied', 201],
      ['applied', 201],
    ]);
    expect(results[1]!.error).toMatchObject({ code: 'handler_rejected' });
    expect(results[2]!.error).toMatchObject({ code: 'invalid_event', field: 'events[2].payload' });
    expect(results[3]!.error).toMatchObject({ code: 'handler_rejected' });
    expect(results[1]!.error!.message).toMatch(/missing the required field "total"/);
    expect(results[3]!.error!.message).toMatch(/pdv_id/);
    for (const event of [bad, notJson, otherPdv]) expect(await inInbox(event.eventId)).toBe(0);
    for (const event of [good1, good2, plain]) expect(await inInbox(event.eventId)).toBe(1);
    expect(await count('venda_central', 'venda_id', (JSON.parse(otherPdv.payload) as { venda_id: string }).venda_id)).toBe(0);

    // Fixed and sent again under the same eventId, the refused event is applied: nothing remembered the refusal.
    const fixed = { ...bad, payload: JSON.stringify({ ...withoutTotal, total: '10.0000' }) };
    const [retried] = await post([fixed]);
    expect(retried!.status).toBe('applied');
  });

  it('never applies a sale twice, even under a new eventId', async () => {
    const vendaId = randomUUID();
    expect((await post([vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId })]))[0]!.status).toBe('applied');
    const [second] = await post([vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId })]);
    expect(second).toMatchObject({ status: 'rejected', httpStatus: 422 });
    expect(await count('venda_central', 'venda_id', vendaId)).toBe(1);
  });

  it('keeps PDV A and PDV B apart: the same eventId from each is its own event', async () => {
    const eventId = randomUUID();
    const fromA = vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1 }, { eventId });
    const fromB = vendaEvent({ pdvId: PDVS.b.pdvId, lojaId: 2 }, { eventId });
    expect((await post([fromA], PDVS.a.token))[0]!.status).toBe('applied');
    const [b] = await post([fromB], PDVS.b.token);
    expect(b!.status).toBe('applied');
    expect(b!.result).toContain((JSON.parse(fromB.payload) as { venda_id: string }).venda_id);
    expect(await inInbox(eventId)).toBe(2);
  });

  // The handler looks the caller's loja up in sync_pdv. A PDV deleted from the registry is still trusted for a few
  // seconds from the authentication cache: its loja is then unknown (NULL), and the check must refuse, not pass.
  it('refuses a sale from a PDV whose loja is unknown, though its token is still trusted', async () => {
    const gone = { pdvId: 'loja01-pdv42', lojaId: 1, token: 'token-loja01-pdv42-deleted-yyy' };
    await h.db.query(`INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [gone.pdvId, gone.lojaId, tokenHash(gone.token)]);
    // Authenticated once, so the token is in the cache; then the terminal is deleted from the registry.
    expect((await post([makeEvent()], gone.token))[0]!.status).toBe('applied');
    await h.db.query(`DELETE FROM sync_pdv WHERE pdv_id = ${p(1)}`, [gone.pdvId]);

    const vendaId = randomUUID();
    const sale = vendaEvent({ pdvId: gone.pdvId, lojaId: gone.lojaId, vendaId });
    const [result] = await post([sale], gone.token);
    expect(result).toMatchObject({ status: 'rejected', httpStatus: 422, error: { code: 'handler_rejected' } });
    expect(result!.error!.message).toMatch(/PDV "loja01-pdv42" is not an active PDV of sync_pdv, so its loja is unknown/);
    expect(await count('venda_central', 'venda_id', vendaId)).toBe(0);
    expect(await inInbox(sale.eventId)).toBe(0);
  });

  it('refuses a sale from a deactivated PDV whose token is still cached', async () => {
    const revoked = { pdvId: 'loja01-pdv44', lojaId: 1, token: 'token-loja01-pdv44-revoked-zzz' };
    await h.db.query(`INSERT INTO sync_pdv (pdv_id, loja_id, token_hash) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [revoked.pdvId, revoked.lojaId, tokenHash(revoked.token)]);
    expect((await post([makeEvent()], revoked.token))[0]!.status).toBe('applied');
    const deactivate = h.db.dialect === 'mssql' ? 'UPDATE sync_pdv SET active = 0' : 'UPDATE sync_pdv SET active = false';
    await h.db.query(`${deactivate} WHERE pdv_id = ${p(1)}`, [revoked.pdvId]);

    const vendaId = randomUUID();
    const sale = vendaEvent({ pdvId: revoked.pdvId, lojaId: revoked.lojaId, vendaId });
    const [result] = await post([sale], revoked.token);
    expect(result).toMatchObject({ status: 'rejected', httpStatus: 422, error: { code: 'handler_rejected' } });
    expect(result!.error!.message).toMatch(/PDV "loja01-pdv44" is not an active PDV of sync_pdv/);
    expect(await count('venda_central', 'venda_id', vendaId)).toBe(0);
  });

  it('the payload check refuses, called directly, a caller it does not know or none at all', async () => {
    const payload = JSON.stringify(vendaPayload({ pdvId: 'loja01-pdv43', lojaId: 1 }));
    const call = (pdvId: string | null) =>
      h.db.transaction((tx) =>
        tx.query(h.db.dialect === 'mssql' ? 'EXEC dbo.sync_handle_venda @payload = @p1, @pdv_id = @p2;' : 'SELECT sync_handle_venda($1::text, $2::varchar) AS result', [payload, pdvId]),
      );
    await expect(call('loja01-pdv43')).rejects.toThrow(/PDV "loja01-pdv43" is not an active PDV of sync_pdv, so its loja is unknown/);
    await expect(call(null)).rejects.toThrow(/is not an active PDV of sync_pdv, so its loja is unknown/);
  });

  it('runs handlers in request order, so a stream applies in the order it happened', async () => {
    const vendaId = randomUUID();
    const first = vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId });
    const sameSale = vendaEvent({ pdvId: PDVS.a.pdvId, lojaId: 1, vendaId });
    // Whatever their eventIds sort as, the first in the request is applied and the second is the repeat.
    const results = await post([first, sameSale]);
    expect(results.map((r) => r.status)).toEqual(['applied', 'rejected']);
  });
});
