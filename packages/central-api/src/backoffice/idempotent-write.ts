import { createHash } from 'node:crypto';
import type { Database, Queryable } from '@goldpdv/core';
import { badRequest, HttpProblem, PROBLEM_TYPES } from '../http/problem.js';
import type { RouteRequest, RouteResponse } from '../http/route.js';
import type { BackofficeStore } from './backoffice-store.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/** The Idempotency-Key header, checked: 1 to 128 visible ASCII characters. */
export function idempotencyKeyOf(request: RouteRequest): string {
  const raw = request.headers['idempotency-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || key === '') throw badRequest('the Idempotency-Key header is required on every back-office write', 'Idempotency-Key');
  if (!IDEMPOTENCY_KEY.test(key)) throw badRequest('the Idempotency-Key header must be 1 to 128 visible ASCII characters', 'Idempotency-Key');
  return key;
}

export interface WriteResult {
  status: number;
  body: unknown;
}

/**
 * Runs `write` once per (client, Idempotency-Key), in one transaction with the record of the key: a replay with
 * the same body answers the stored response (header Idempotent-Replayed: true) without writing again; the same
 * key with another body, or on another operation, is a 422. A write that throws rolls back whole, key included,
 * so a refused request may be corrected and sent again under its key.
 */
export async function idempotentWrite(
  db: Database,
  store: BackofficeStore,
  client: string,
  key: string,
  operation: string,
  bodyText: string,
  write: (tx: Queryable) => Promise<WriteResult>,
): Promise<RouteResponse> {
  const bodyHash = createHash('sha256').update(bodyText, 'utf8').digest('hex');
  return db.transaction(async (tx) => {
    const claimed = await store.claim(tx, client, key, operation, bodyHash);
    if (claimed !== 'new') {
      if (claimed.operation !== operation || claimed.bodyHash !== bodyHash) {
        throw new HttpProblem(422, PROBLEM_TYPES.conflict, 'Idempotency-Key reused', {
          detail: `the Idempotency-Key was used before for a different ${claimed.operation === operation ? 'body' : `operation (${claimed.operation})`}; use a new key for a new write`,
          field: 'Idempotency-Key',
        });
      }
      return { status: claimed.status, body: JSON.parse(claimed.response) as unknown, headers: { 'idempotent-replayed': 'true' } };
    }
    const result = await write(tx);
    await store.saveResponse(tx, client, key, result.status, JSON.stringify(result.body));
    return { status: result.status, body: result.body };
  });
}
