import { badRequest, HttpProblem, PROBLEM_TYPES } from '../http/problem.js';
import { checkDecimal } from './decimal-value.js';

export type StockDocumentKind = 'purchase' | 'write-off';

export interface StockDocumentItem {
  produtoId: number;
  quantidade: string;
  custo: string | null;
}

/** A purchase (compra) or a write-off (baixa), validated. */
export interface StockDocument {
  kind: StockDocumentKind;
  id: string;
  lojaId: number;
  motivo: string | null;
  items: StockDocumentItem[];
}

export const MAX_ITEMS = 1_000;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;

/** A 422 naming the field that failed: the request is well formed, its content is refused. */
export const unprocessable = (detail: string, field: string): HttpProblem =>
  new HttpProblem(422, PROBLEM_TYPES.invalidRequest, 'Invalid request', { detail, field });

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const positiveInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= 2_147_483_647;

function rejectUnknown(object: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  const unknown = Object.keys(object).find((name) => !allowed.includes(name));
  if (unknown !== undefined) throw badRequest(`unknown field "${unknown}"; allowed: ${allowed.join(', ')}`, `${prefix}${unknown}`);
}

/** Parses a compra or baixa body; the first problem is answered with the field it is about. */
export function parseStockDocument(kind: StockDocumentKind, body: unknown): StockDocument {
  if (!isObject(body)) throw badRequest('the body must be a JSON object');
  rejectUnknown(body, kind === 'purchase' ? ['id', 'loja', 'items'] : ['id', 'loja', 'reason', 'items'], '');
  if (typeof body.id !== 'string' || !ID.test(body.id)) throw badRequest('id must be 1 to 64 characters: letters, digits and . _ : / -, starting with a letter or digit', 'id');
  if (!positiveInt(body.loja)) throw badRequest('loja must be a positive integer (a loja_id)', 'loja');
  let motivo: string | null = null;
  if (kind === 'write-off') {
    if (typeof body.reason !== 'string' || body.reason.trim() === '' || body.reason.length > 200) throw badRequest('reason must be a non-empty text of at most 200 characters', 'reason');
    motivo = body.reason;
  }
  if (!Array.isArray(body.items) || body.items.length === 0) throw badRequest('items must be a non-empty array', 'items');
  if (body.items.length > MAX_ITEMS) throw badRequest(`items has ${body.items.length} entries; at most ${MAX_ITEMS}`, 'items');
  const items = body.items.map((item: unknown, index): StockDocumentItem => {
    const at = `items[${index}]`;
    if (!isObject(item)) throw badRequest(`${at} must be an object`, at);
    rejectUnknown(item, kind === 'purchase' ? ['product', 'quantity', 'cost'] : ['product', 'quantity'], `${at}.`);
    if (!positiveInt(item.product)) throw badRequest(`${at}.product must be a positive integer (a produto_id)`, `${at}.product`);
    const quantity = checkDecimal(item.quantity, 18, 4);
    if (!quantity.ok) throw badRequest(`${at}.quantity ${quantity.reason}`, `${at}.quantity`);
    if (quantity.negative || quantity.zero) throw badRequest(`${at}.quantity must be greater than zero`, `${at}.quantity`);
    let custo: string | null = null;
    if (kind === 'purchase') {
      const cost = checkDecimal(item.cost, 18, 4);
      if (!cost.ok) throw badRequest(`${at}.cost ${cost.reason}`, `${at}.cost`);
      if (cost.negative) throw badRequest(`${at}.cost must not be negative`, `${at}.cost`);
      custo = cost.text;
    }
    return { produtoId: item.product, quantidade: quantity.text, custo };
  });
  return { kind, id: body.id, lojaId: body.loja, motivo, items };
}
