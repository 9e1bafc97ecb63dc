import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type AdminAccess = 'allowed' | 'no-token-configured' | 'refused';

/** Whether the request carries ADMIN_TOKEN as a bearer token; compared in constant time (over sha256 digests). */
export function adminAccess(headers: IncomingHttpHeaders, adminToken: string | undefined): AdminAccess {
  if (adminToken === undefined || adminToken === '') return 'no-token-configured';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (match === null) return 'refused';
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(match[1]!), digest(adminToken)) ? 'allowed' : 'refused';
}
