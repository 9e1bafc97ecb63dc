import type { ScenarioResult } from './context.js';

/** One two-column table per scenario: the figure and its value, then the verdict and any broken promise. */
export function renderTable(result: ScenarioResult): string {
  const rows: [string, string][] = Object.entries(result.figures).map(([name, value]) => [name, typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value)]);
  rows.push(['duration (s)', result.seconds.toFixed(1)]);
  rows.push(['result', result.passed ? 'PASSED' : 'FAILED']);
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = [`${result.name}`, ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`)];
  for (const failure of result.failures) lines.push(`  ! ${failure}`);
  return lines.join('\n');
}

/** The same figures as a Markdown table, for docs/reliability.md. */
export function renderMarkdown(result: ScenarioResult): string {
  const lines = [`### ${result.name} — ${result.passed ? 'passed' : 'FAILED'}`, '', '| figure | value |', '|---|---|'];
  for (const [name, value] of Object.entries(result.figures)) lines.push(`| ${name} | ${typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value).replaceAll('|', '\\|')} |`);
  lines.push(`| duration (s) | ${result.seconds.toFixed(1)} |`);
  for (const failure of result.failures) lines.push(`| failure | ${failure.replaceAll('|', '\\|')} |`);
  return lines.join('\n');
}
