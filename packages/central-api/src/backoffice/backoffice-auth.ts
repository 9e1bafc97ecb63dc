import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { tokenHash, type Queryable } from '@goldpdv/core';
import { HttpProblem, PROBLEM_TYPES } from '../http/problem.js';
import { BEARER_TOKEN } from '../pdv/pdv-tokens.js';
import type { BackofficeStore } from './backoffice-store.js';

const REALM = 'goldpdv-backoffice';
const MAX_TOKEN_LENGTH = 512;

const unauthorized = (detail: string): HttpProblem =>
  new HttpProblem(401, PROBLEM_TYPES.unauthorized, 'Unauthorized', {
    detail,
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="invalid_token"` },
  });

/**
 * The back-office client a bearer token belongs to, looked up in sync_backoffice_client only: a PDV token is
 * unknown here, as a back-office token is unknown to the PDV routes. No cache: back-office writes are few.
 */
export async function authenticateBackoffice(db: Queryable, store: BackofficeStore, headers: IncomingHttpHeaders): Promise<string> {
  const match = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '');
  const token = match?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH || !BEARER_TOKEN.test(token)) {
    throw unauthorized('an Authorization: Bearer <back-office token> header is required');
  }
  const hash = tokenHash(token);
  const client = await store.findClient(db, hash);
  const stored = Buffer.from(client?.tokenHash.toLowerCase() ?? '', 'utf8');
  const computed = Buffer.from(hash, 'utf8');
  if (client === undefined || stored.length !== computed.length || !timingSafeEqual(stored, computed)) {
    throw unauthorized('the token is not an active back-office credential (PDV tokens are not accepted here)');
  }
  return client.name;
}
