import { duration, type FleetEntry } from '../pdv/fleet.js';

/** Every value that reaches the page goes through this: PDV ids, labels and reasons come from outside. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STATE_COLOURS: Record<string, string> = {
  silent: '#b00020',
  'auth-refused': '#b00020',
  'unreachable-long': '#c45100',
  'dead-letters': '#c45100',
  behind: '#8a6d00',
  ok: '#1b5e20',
  revoked: '#555',
};

/**
 * The fleet page (GET /fleet on the admin port): the same entries as `central-api fleet`, most urgent first,
 * plain server-rendered HTML with no script, refreshed by the browser every minute.
 */
export function renderFleetPage(entries: readonly FleetEntry[], counts: Readonly<Record<string, number>>, now: Date): string {
  const e = escapeHtml;
  const time = (iso: string | null) => (iso === null ? '-' : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`);
  const rows = entries.map(
    (pdv) => `<tr data-pdv="${e(pdv.pdvId)}" data-state="${e(pdv.state)}">
<td class="state" style="color:${STATE_COLOURS[pdv.state] ?? '#000'}">${e(pdv.state)}</td>
<td>${e(pdv.pdvId)}</td>
<td>${e(String(pdv.lojaId))}</td>
<td>${e(pdv.forSeconds === null ? '-' : duration(pdv.forSeconds))}</td>
<td>${e(time(pdv.lastHeardAt))}</td>
<td>${e(pdv.reason)}</td>
<td>${e(pdv.syncState?.summary ?? '-')}</td>
<td>${e(pdv.label ?? '')}</td>
</tr>`,
  );
  const totals = Object.entries(counts)
    .map(([state, n]) => `<li data-count="${e(state)}">${e(state)}: ${e(String(n))}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="60">
<title>GoldPDV fleet</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 0.25rem 0.75rem; border-bottom: 1px solid #ddd; vertical-align: top; }
.state { font-weight: bold; }
ul.counts { list-style: none; padding: 0; display: flex; gap: 1.5rem; }
</style>
</head>
<body>
<h1>Fleet</h1>
<p>${e(String(entries.length))} PDV(s), most urgent first; as of ${e(time(now.toISOString()))} UTC.</p>
<ul class="counts">${totals}</ul>
<table id="fleet">
<thead><tr><th>state</th><th>pdv</th><th>loja</th><th>for</th><th>last heard (UTC)</th><th>why</th><th>sync state</th><th>label</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</body>
</html>
`;
}
