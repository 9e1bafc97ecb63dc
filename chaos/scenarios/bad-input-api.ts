import { randomUUID } from 'node:crypto';
import { tokenHash } from '../../packages/core/src/index.js';
import { send, type RequestOptions } from '../../packages/central-api/test/support/http-client.js';
import { makeEvent, vendaEvent } from '../../packages/central-api/test/support/events.js';
import { malformedRequests } from '../../packages/central-api/test/support/malformed-requests.js';
import { Outcome, type ChaosContext } from '../support/context.js';
import { createRig, PDV } from '../support/rig.js';

const JUNK: unknown[] = ["'; DROP TABLE sync_inbox; --", '" OR 1=1 --', '\u0000', '\ud800', '😀', '\u202e', 123, null, true, [], {}, 'x'.repeat(3_000)];

/**
 * Requests the shared malformed-request generator does not make: envelopes with a required field missing, and
 * well-formed sales whose payload the central handler must refuse (bad uuid, a number that is text, another
 * PDV or store, no items). Every one is invalid, so nothing may be stored.
 */
function extraRequests(token: string, count: number): { name: string; options: RequestOptions }[] {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const breakSale: ((payload: Record<string, unknown>, junk: unknown) => void)[] = [
    (p, junk) => (p.venda_id = typeof junk === 'string' ? `${junk}-not-a-uuid` : junk),
    (p, junk) => (p.total = typeof junk === 'string' ? junk : 'abc'),
    (p, junk) => (p.numero = typeof junk === 'string' ? junk : 'twelve'),
    (p) => (p.pdv_id = 'loja02-pdv01'),
    (p) => (p.loja_id = 2),
    (p) => delete p.itens,
    (p, junk) => (p.itens = [{ item_numero: junk, produto_id: 1 }]),
    (p) => delete p.caixa_sessao_id,
  ];
  return Array.from({ length: count }, (_, i) => {
    const junk = JUNK[i % JUNK.length];
    if (i % 2 === 0) {
      const event: Record<string, unknown> = { ...makeEvent() };
      const missing = ['eventId', 'type', 'occurredAt', 'payload', 'streamKey'][i % 5]!;
      delete event[missing];
      // The other fields carry junk too, so that every field meets metacharacters and odd Unicode.
      if (missing !== 'eventId') event.eventId = typeof junk === 'string' ? junk : 'not-a-uuid';
      return { name: `#x${i} missing ${missing}`, options: { method: 'POST', headers, body: JSON.stringify({ events: [event] }) } };
    }
    const sale = vendaEvent({ pdvId: PDV.pdvId, lojaId: PDV.lojaId });
    const payload = JSON.parse(sale.payload) as Record<string, unknown>;
    breakSale[Math.floor(i / 2) % breakSale.length]!(payload, junk);
    return { name: `#x${i} refused sale`, options: { method: 'POST', headers, body: JSON.stringify({ events: [{ ...sale, payload: JSON.stringify(payload) }] }) } };
  });
}

/** Paths of the back office's writes: any 2xx there is an accepted write. */
const BACKOFFICE_PATHS = ['/v1/backoffice/compras', '/v1/backoffice/baixas', '/v1/backoffice/cadastros'];

/**
 * Invalid back-office writes: stock documents with a negative, zero or junk quantity, an unknown product or store,
 * unknown fields, bad ids; cadastros on undeclared tables or columns, with values of the wrong type or too long,
 * a product that does not exist (foreign key), no key; malformed JSON, no or a junk Idempotency-Key, a PDV's token.
 */
function backofficeRequests(token: string, pdvToken: string, count: number): { name: string; path: string; options: RequestOptions }[] {
  const compra = (items: unknown[], extra: Record<string, unknown> = {}) => ({ id: `NF-${randomUUID().slice(0, 8)}`, loja: PDV.lojaId, items, ...extra });
  const item = (quantity: unknown, product: unknown = 1, cost: unknown = '1.0000') => ({ product, quantity, cost });
  const update = (row: Record<string, unknown>, table: unknown = 'produto') => ({ operations: [{ table, action: 'update', row }] });
  // A number among the junk would be a valid quantity or price; 1e30 is one no column takes.
  const bad = (junk: unknown) => (typeof junk === 'number' ? 1e30 : junk);
  const bodies: [string, (junk: unknown) => unknown][] = [
    ['/v1/backoffice/compras', () => compra([item('-1')])],
    ['/v1/backoffice/compras', () => compra([item('0')])],
    ['/v1/backoffice/compras', (junk) => compra([item(bad(junk))])],
    ['/v1/backoffice/compras', (junk) => compra([item('1', bad(junk))])],
    ['/v1/backoffice/compras', () => compra([item('1'), item('1', 999_999)])],
    ['/v1/backoffice/compras', () => compra([item('1')], { loja: 999 })],
    ['/v1/backoffice/compras', (junk) => compra([item('1', 1, bad(junk))])],
    ['/v1/backoffice/compras', (junk) => compra([item('1')], { id: junk })],
    ['/v1/backoffice/compras', (junk) => compra([{ ...item('1'), lote: junk }])],
    ['/v1/backoffice/baixas', () => compra([{ product: 1, quantity: '-3' }], { reason: 'quebra' })],
    ['/v1/backoffice/baixas', (junk) => compra([{ product: 1, quantity: '1' }], { reason: typeof junk === 'string' ? `${'x'.repeat(200)}${junk}` : junk })],
    ['/v1/backoffice/cadastros', (junk) => update({ produto_id: 1, descricao: 'x' }, junk)],
    ['/v1/backoffice/cadastros', (junk) => update({ produto_id: 1, [typeof junk === 'string' && junk.length < 60 ? junk : 'margem']: '1' })],
    ['/v1/backoffice/cadastros', (junk) => update({ produto_id: 1, preco_base: junk === null ? 'abc' : bad(junk) })],
    ['/v1/backoffice/cadastros', () => update({ produto_id: 1, unidade: 'x'.repeat(50) })],
    ['/v1/backoffice/cadastros', () => update({ produto_id: 999_999, descricao: 'x' })],
    ['/v1/backoffice/cadastros', () => ({ operations: [{ table: 'preco_loja', action: 'insert', row: { loja_id: 1, produto_id: 999_999, preco: '1', vigencia_inicio: '2026-12-01', atualizado_em: '2026-12-01T08:00:00' } }] })],
    ['/v1/backoffice/cadastros', (junk) => update({ descricao: junk })],
    ['/v1/backoffice/cadastros', (junk) => ({ operations: junk })],
  ];
  return Array.from({ length: count }, (_, i) => {
    const junk = JUNK[i % JUNK.length];
    const [path, build] = bodies[i % bodies.length]!;
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `chaos-${i}-${randomUUID()}` };
    let body = JSON.stringify(build(junk));
    const twist = Math.floor(i / bodies.length) % 5;
    // Every fifth round also breaks the request itself: JSON cut short, no key, a key with spaces, a PDV's token.
    if (twist === 1) body = body.slice(0, Math.max(1, body.length - 7));
    if (twist === 2) delete headers['idempotency-key'];
    if (twist === 3) headers['idempotency-key'] = 'a key with spaces';
    if (twist === 4) headers.authorization = `Bearer ${pdvToken}`;
    return { name: `#b${i} ${path} ${twist}`, path, options: { method: 'POST', headers, body } };
  });
}

export async function badInputApi(ctx: ChaosContext): Promise<Outcome> {
  const outcome = new Outcome();
  const total = ctx.quick ? 800 : 2_500;
  const rig = await createRig(ctx, { products: 20, centralEnv: { MAX_BODY_BYTES: String(256 * 1024) } });
  try {
    const port = Number(new URL(rig.api.url).port);
    const backofficeToken = `gpdv_${randomUUID().replaceAll('-', '')}`;
    await rig.central.db.query('INSERT INTO sync_backoffice_client (name, token_hash) VALUES ($1, $2)', ['chaos-escritorio', tokenHash(backofficeToken)]);
    const corpus = [
      ...backofficeRequests(backofficeToken, rig.token, Math.floor(total * 0.2)),
      ...malformedRequests(rig.token, Math.ceil(total * 0.7)).map((request) => ({ name: request.name, path: request.path, options: request.options })),
      ...extraRequests(rig.token, Math.floor(total * 0.3)).map((request) => ({ ...request, path: '/v1/events' })),
    ];
    const counts = { sent: 0, '2xx (every item rejected)': 0, '4xx': 0, '5xx': 0, 'accepted items': 0, 'connection errors': 0 };
    const examples: string[] = [];
    let next = 0;
    // A few requests in flight at once, as several PDVs would send them.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < corpus.length) {
          const request = corpus[next++]!;
          counts.sent += 1;
          try {
            const response = await send(port, request.path, request.options);
            if (response.status >= 500) {
              counts['5xx'] += 1;
              examples.push(`${request.name}: ${response.status} ${response.text.slice(0, 160)}`);
            } else if (response.status >= 400) counts['4xx'] += 1;
            else if (BACKOFFICE_PATHS.includes(request.path)) {
              counts['accepted items'] += 1;
              examples.push(`${request.name}: accepted ${response.text.slice(0, 160)}`);
            } else {
              const results = (response.json as { results?: { status: string }[] } | undefined)?.results ?? [];
              if (results.every((result) => result.status === 'rejected')) counts['2xx (every item rejected)'] += 1;
              else {
                counts['accepted items'] += 1;
                examples.push(`${request.name}: accepted ${response.text.slice(0, 160)}`);
              }
            }
          } catch (error) {
            counts['connection errors'] += 1;
            examples.push(`${request.name}: ${(error as Error).message}`);
          }
        }
      }),
    );
    const live = await fetch(`${rig.api.url}/health/live`).then((r) => r.status === 200, () => false);
    const crashes = (rig.api.daemon.child.exitCode === null && live ? 0 : 1);
    const stored = Number(
      (await rig.central.db.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM sync_inbox) + (SELECT count(*) FROM venda_central) + (SELECT count(*) FROM caixa_movimento_central)
              + (SELECT count(*) FROM sync_backoffice_request) + (SELECT count(*) FROM estoque_movimento) + (SELECT count(*) FROM estoque_documento) AS n`,
      )).rows[0]!.n,
    );
    for (const [name, value] of Object.entries(counts)) outcome.set(name, value);
    outcome.set('process crashes', crashes);
    outcome.set('rows stored from invalid requests', stored);
    outcome.expect(counts.sent >= (ctx.quick ? 500 : 2_000), `only ${counts.sent} requests were sent`);
    outcome.expect(counts['5xx'] === 0, `${counts['5xx']} answers were 5xx: ${examples.slice(0, 3).join(' | ')}`);
    outcome.expect(counts['accepted items'] === 0, `invalid items were accepted: ${examples.slice(0, 3).join(' | ')}`);
    outcome.expect(counts['connection errors'] === 0, `connection errors: ${examples.slice(0, 3).join(' | ')}`);
    outcome.expect(crashes === 0, 'central-api exited or stopped answering /health/live');
    outcome.expect(stored === 0, `${stored} rows were stored from invalid requests`);
  } finally {
    await rig.dispose();
  }
  return outcome;
}
