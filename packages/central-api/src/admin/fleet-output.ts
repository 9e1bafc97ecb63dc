import type { FleetEntry } from '../pdv/fleet.js';
import { duration } from '../pdv/fleet.js';
import { textTable } from './text-table.js';

/** `pdv list` for people: one PDV per line, most urgent first, times in UTC to the second. */
export function formatFleet(entries: readonly FleetEntry[], lastSeenIntervalMs: number): string {
  if (entries.length === 0) return 'no PDV registered (central-api pdv add <pdv-id> --loja <loja-id>)\n';
  const rows = entries.map((pdv) => [
    pdv.pdvId,
    String(pdv.lojaId),
    pdv.state,
    time(pdv.createdAt),
    time(pdv.tokenIssuedAt),
    time(pdv.lastSeenAt),
    pdv.syncState === null ? '-' : pdv.syncState.summary,
    pdv.label ?? '',
  ]);
  const lines = textTable(['pdv', 'loja', 'state', 'created (UTC)', 'token issued (UTC)', 'last request (UTC)', 'sync state', 'label'], rows);
  const note = `${entries.length} PDV(s); last request times are written by each central-api replica every ${lastSeenIntervalMs / 1_000} s (PDV_LAST_SEEN_INTERVAL_MS)`;
  return `${[...lines, note].join('\n')}\n`;
}

/** `central-api fleet` for people: the same entries, most urgent first, with why and for how long. */
export function formatFleetView(entries: readonly FleetEntry[], counts: Readonly<Record<string, number>>): string {
  if (entries.length === 0) return 'no PDV registered (central-api pdv add <pdv-id> --loja <loja-id>)\n';
  const rows = entries.map((pdv) => [
    pdv.state,
    pdv.pdvId,
    String(pdv.lojaId),
    pdv.forSeconds === null ? '-' : duration(pdv.forSeconds),
    time(pdv.lastHeardAt),
    pdv.reason,
    pdv.syncState === null ? '-' : pdv.syncState.summary,
  ]);
  const lines = textTable(['state', 'pdv', 'loja', 'for', 'last heard (UTC)', 'why', 'sync state'], rows);
  const totals = Object.entries(counts).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ');
  return `${[...lines, `${entries.length} PDV(s): ${totals}`].join('\n')}\n`;
}

function time(iso: string | null): string {
  return iso === null ? '-' : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
