import { createHash } from 'node:crypto';

export function payloadFingerprint(payload: string): string {
  return createHash('sha256').update(payload, 'utf8').digest('hex');
}

/** Tokens are stored centrally only as this hash, so a leaked database does not leak PDV credentials. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
