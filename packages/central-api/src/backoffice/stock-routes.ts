import { randomUUID } from 'node:crypto';
import type { Queryable } from '@goldpdv/core';
import type { AppContext } from '../app-context.js';
import { HttpProblem, PROBLEM_TYPES } from '../http/problem.js';
import type { Route, RouteRequest } from '../http/route.js';
import { authenticateBackoffice } from './backoffice-auth.js';
import type { BackofficeStore } from './backoffice-store.js';
import { idempotencyKeyOf, idempotentWrite, type WriteResult } from './idempotent-write.js';
import { parseStockDocument, unprocessable, type StockDocument, type StockDocumentKind } from './stock-document.js';

/** Checks the document against the catalog, then records it and moves its stock as one lote. */
async function applyStockDocument(tx: Queryable, store: BackofficeStore, document: StockDocument): Promise<WriteResult> {
  if (!(await store.lojaExists(tx, document.lojaId))) throw unprocessable(`loja ${document.lojaId} does not exist`, 'loja');
  const known = await store.existingProducts(tx, document.items.map((item) => item.produtoId));
  const unknown = document.items.findIndex((item) => !known.has(item.produtoId));
  if (unknown >= 0) throw unprocessable(`produto ${document.items[unknown]!.produtoId} does not exist`, `items[${unknown}].product`);
  if (!(await store.insertDocument(tx, document.kind, document.id, document.lojaId, document.motivo))) {
    throw new HttpProblem(409, PROBLEM_TYPES.conflict, 'Document already recorded', {
      detail: `${document.kind} ${document.id} was recorded before, under another Idempotency-Key`,
      field: 'id',
    });
  }
  const sign = document.kind === 'purchase' ? '' : '-';
  await store.moveStock(
    tx,
    randomUUID(),
    document.kind,
    document.id,
    document.lojaId,
    document.items.map((item) => ({ produtoId: item.produtoId, quantidade: `${sign}${item.quantidade}`, custoUnitario: item.custo })),
  );
  return { status: 201, body: { id: document.id, kind: document.kind, loja: document.lojaId, items: document.items.length } };
}

function stockRoute(context: AppContext, store: BackofficeStore, path: string, kind: StockDocumentKind): Route {
  return {
    method: 'POST',
    path,
    async handle(request: RouteRequest) {
      const client = await authenticateBackoffice(context.db, store, request.headers);
      const key = idempotencyKeyOf(request);
      // The text as received is what the idempotency key is checked against; readJson parses the same text.
      const text = await request.readText();
      const body = await request.readJson();
      const document = parseStockDocument(kind, body);
      return idempotentWrite(context.db, store, client, key, kind, text, (tx) => applyStockDocument(tx, store, document));
    },
  };
}

/** Compras put stock in at a loja, baixas take it out: POST /v1/backoffice/compras and /v1/backoffice/baixas. */
export function stockRoutes(context: AppContext, store: BackofficeStore): Route[] {
  return [stockRoute(context, store, '/v1/backoffice/compras', 'purchase'), stockRoute(context, store, '/v1/backoffice/baixas', 'write-off')];
}
