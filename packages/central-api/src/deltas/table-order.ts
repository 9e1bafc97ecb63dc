/**
 * Parents before children, so that a client applying tables in this order never inserts a row whose foreign
 * key points at a row it has not received yet (and deletes in the reverse order). The order comes from the
 * foreign keys between served tables; among tables free to go next, the sample catalog's documented order
 * decides, then the name, so the order is the same on every replica and every call.
 */
export const PREFERRED_ORDER: readonly string[] = ['categoria', 'loja', 'forma_pagamento', 'operador', 'cliente', 'produto', 'preco_loja', 'estoque'];

export interface OrderResult {
  ordered: string[];
  /** Tables on a foreign-key cycle; they come last, in the tie-break order. */
  cyclic: string[];
}

function tieBreak(a: string, b: string): number {
  const rank = (name: string): number => {
    const index = PREFERRED_ORDER.indexOf(name);
    return index === -1 ? PREFERRED_ORDER.length : index;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export function orderByDependencies(tables: readonly string[], foreignKeys: readonly { child: string; parent: string }[]): OrderResult {
  const served = new Set(tables);
  const parents = new Map<string, Set<string>>(tables.map((name) => [name, new Set<string>()]));
  for (const { child, parent } of foreignKeys) {
    // A self-reference says nothing about the order between tables.
    if (child !== parent && served.has(child) && served.has(parent)) parents.get(child)!.add(parent);
  }
  const ordered: string[] = [];
  const placed = new Set<string>();
  for (;;) {
    const ready = tables.filter((name) => !placed.has(name) && [...parents.get(name)!].every((parent) => placed.has(parent)));
    if (ready.length === 0) break;
    const next = ready.sort(tieBreak)[0]!;
    ordered.push(next);
    placed.add(next);
  }
  const cyclic = tables.filter((name) => !placed.has(name)).sort(tieBreak);
  return { ordered: [...ordered, ...cyclic], cyclic };
}
