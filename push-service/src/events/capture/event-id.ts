import { createHash } from 'node:crypto';

/**
 * The namespace of GoldPDV Sync event ids (RFC 4122 section 4.3): itself the name-based UUID (v5) of
 * "goldpdv-sync/outbox-events" in the URL namespace. Never change it: every id ever sent depends on it.
 */
export const EVENT_ID_NAMESPACE = '7da8837c-59e7-55c4-b6ce-2ae5bc56a038';

/**
 * The id of one event, the central inbox's permanent dedupe key with the PDV id:
 *
 *   UUID v5 (SHA-1, RFC 4122 section 4.3) of  "<installation id>:<event type>:<aggregate key>:<transition>"
 *
 * - installation id: sync_installation.installation_id, a random UUID made when the PDV's database got the sync
 *   schema. A reinstalled PDV (a new database) starts its int keys again at 1, and gets a new installation id, so
 *   sale 1 of the new database is not taken for sale 1 of the old one.
 * - event type and aggregate key: the key columns as text, as the trigger captured them ('42', a lowercase uuid,
 *   composite parts joined by ',').
 * - transition: how many transitions the aggregate had made when this one happened (sync_event_state), counted
 *   per installation. A sale finalised (1), cancelled (2) and finalised again (3) gets three ids; a second
 *   capture of the same transition (a trigger fired twice, the sweep finding a row the trigger had captured) is
 *   recognised by the aggregate's recorded status and gets no event at all.
 *
 * The same inputs always give the same id, so an event built again after a crash keeps its id.
 */
export function eventIdOf(installationId: string, eventType: string, aggregateKey: string, transition: number): string {
  return uuidV5(EVENT_ID_NAMESPACE, `${installationId.toLowerCase()}:${eventType}:${aggregateKey}:${transition}`);
}

export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replaceAll('-', ''), 'hex')).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
