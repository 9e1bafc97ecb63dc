/**
 * pnpm chaos [--quick] [--json] [--only name,name] [--markdown file] [--logs dir]
 *
 * Runs the reliability and security scenarios against the real daemons and central-api on the PostgreSQL
 * server of TEST_PG_URL (crash-loops also on embedded PGlite), prints one table of figures per scenario, and exits 1 when any scenario fails.
 * --quick is the CI run (under 3 minutes); the default is the full run (up to 20 minutes). --logs writes every
 * child process's output to the directory, one file per process, to read after a failed run. For a closer look:
 * CHAOS_LOG_LEVEL sets the daemons' LOG_LEVEL (debug, trace), and CHAOS_KEEP_DB=1 keeps the scratch databases.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChaosContext, type Outcome, type ScenarioResult } from './support/context.js';
import { renderMarkdown, renderTable } from './support/report.js';
import { crashLoops, crashLoopsPglite } from './scenarios/crash-loops.js';
import { networkFaults } from './scenarios/network-faults.js';
import { databaseFaults } from './scenarios/database-faults.js';
import { badInputApi } from './scenarios/bad-input-api.js';
import { badInputDaemons } from './scenarios/bad-input-daemons.js';
import { security } from './scenarios/security.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const valueOf = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const only = valueOf('--only')?.split(',');
const markdownFile = valueOf('--markdown');
const logDir = valueOf('--logs');

// Security runs last: it searches the output of every child that the other scenarios started.
const SCENARIOS: { name: string; run: (ctx: ChaosContext) => Promise<Outcome> }[] = [
  { name: 'crash-loops', run: crashLoops },
  { name: 'crash-loops-pglite', run: crashLoopsPglite },
  { name: 'network-faults', run: networkFaults },
  { name: 'database-faults', run: databaseFaults },
  { name: 'bad-input-api', run: badInputApi },
  { name: 'bad-input-daemons', run: badInputDaemons },
  { name: 'security', run: security },
];

// With --json, stdout carries the report only; progress goes to stderr.
const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);

async function main(): Promise<number> {
  const pgUrl = process.env.TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const ctx = new ChaosContext(quick, pgUrl, say);
  const started = Date.now();
  say(`GoldPDV Sync chaos: ${quick ? 'quick' : 'full'} run on ${new URL(pgUrl).host}`);
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    if (only && !only.includes(scenario.name)) continue;
    say(`\n> ${scenario.name} ...`);
    const t0 = Date.now();
    let result: ScenarioResult;
    try {
      const outcome = await scenario.run(ctx);
      result = { name: scenario.name, passed: outcome.failures.length === 0, failures: outcome.failures, figures: outcome.figures, seconds: (Date.now() - t0) / 1000 };
    } catch (error) {
      // A scenario that could not finish is a failed scenario, not a crashed suite: the others still run.
      result = { name: scenario.name, passed: false, failures: [`scenario aborted: ${(error as Error).stack ?? String(error)}`], figures: {}, seconds: (Date.now() - t0) / 1000 };
    }
    results.push(result);
    say(renderTable(result));
  }
  const total = (Date.now() - started) / 1000;
  const passed = results.every((result) => result.passed);
  say(`\n${results.filter((result) => result.passed).length}/${results.length} scenarios passed in ${total.toFixed(0)} s`);
  if (json) {
    const report = { mode: quick ? 'quick' : 'full', seconds: total, passed, scenarios: results.map(({ name, passed: ok, failures, seconds, figures }) => ({ name, passed: ok, ...figures, seconds, failures })) };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  if (markdownFile) await writeFile(markdownFile, `${results.map(renderMarkdown).join('\n\n')}\n`);
  if (logDir) await writeLogs(ctx, logDir);
  return passed ? 0 : 1;
}

async function writeLogs(ctx: ChaosContext, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(
    ctx.children.map(({ name, daemon }, index) => writeFile(join(dir, `${String(index + 1).padStart(3, '0')}-${name}.log`), `${daemon.stdout()}${daemon.stderr()}`)),
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
