import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CENTRAL_NODE_OPTIONS, centralEnvironment } from './central-replicas.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PG_URL = process.env.BENCH_PG_URL || process.env.TEST_PG_URL;

const FIELDS = ['pdvs', 'replicas', 'p50_ms', 'p99_ms', 'db_queries_per_commit', 'central_cpu_ms_per_idle_pdv_per_min', 'central_rss_mb', 'errors', 'missed', 'shared_page_hit_ratio'];

describe('bench:fleet runs central-api as docker-compose.yml does', () => {
  it("passes the NODE_OPTIONS of the central-api service's defaults", () => {
    const compose = parse(readFileSync(`${ROOT}docker-compose.yml`, 'utf8')) as { 'x-central-heap': { NODE_OPTIONS: string } };
    const defaults = compose['x-central-heap'].NODE_OPTIONS.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
    expect(defaults).toBe(CENTRAL_NODE_OPTIONS);
    expect(centralEnvironment('postgres://x').NODE_OPTIONS).toContain(CENTRAL_NODE_OPTIONS);
  });
});

describe.skipIf(!PG_URL)('pnpm bench:fleet (needs TEST_PG_URL or BENCH_PG_URL)', () => {
  it('runs 20 PDVs over two replicas and two workers, and every PDV sees every commit meant for it', async () => {
    const args = ['--import', 'tsx', 'bench/fleet/main.ts', '--pdvs', '20', '--replicas', '2', '--workers', '2', '--lojas', '4', '--seconds', '7', '--idle-seconds', '3', '--sale-interval', '2', '--json'];
    const { stdout, stderr } = await run(process.execPath, args, { cwd: ROOT, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    // On a failure, the harness's own account (its report and what went wrong) says why.
    const account = `${stdout}\n${stderr}`;
    for (const field of FIELDS) expect(result, field).toHaveProperty(field);
    expect(result, account).toMatchObject({ pdvs: 20, replicas: 2, errors: 0, missed: 0, wrong_deliveries: 0, pdvs_failed_to_start: 0 });
    expect(result.commits, account).toBeGreaterThanOrEqual(2);
    // Products reach all 20 PDVs, a loja's price its 5: at least one of each was committed.
    expect(result.expected_sightings, account).toBeGreaterThanOrEqual(25);
    expect(result.p50_ms).toBeTypeOf('number');
    expect(result.sales_posted, account).toBeGreaterThan(0);
    // This tree's central-api answers GET /v1/changes/stream: the PDVs wait on it, as pull-service does.
    expect(result.wait_mode, account).toBe('change stream (/v1/changes/stream), 150 s with heartbeats every 20 s');
    // Warm-up commits ran before the commit phase and were seen, apart from the figures.
    expect(result.warmup_commit_max_ms_in_order, account).toMatch(/^p\d+ l\d+ p\d+ l\d+$/);
    expect(result.wait_requests, account).toBeGreaterThan(0);
    expect(result.serving_clock_ticks, account).toBeGreaterThan(0);
  });

  it('stops with one line naming a bad option', async () => {
    const failure = await run(process.execPath, ['--import', 'tsx', 'bench/fleet/main.ts', '--pdvs', 'many'], { cwd: ROOT }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 64 });
    expect((failure as { stderr: string }).stderr.trim()).toBe('bench:fleet: --pdvs must be an integer from 1 to 50000 (got many)');
  });

  it('stops with one line when --central-dir is not a tree with a built central-api', async () => {
    const failure = await run(process.execPath, ['--import', 'tsx', 'bench/fleet/main.ts', '--central-dir', '/nonexistent-tree'], { cwd: ROOT }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 64 });
    expect((failure as { stderr: string }).stderr.trim()).toBe(
      'bench:fleet: --central-dir must be a tree with a built central-api (no /nonexistent-tree/packages/central-api/dist/main.js; run pnpm -s build there)',
    );
  });
});
