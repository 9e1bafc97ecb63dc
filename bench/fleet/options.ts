import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The command line of `pnpm bench:fleet`; a bad value stops with one line naming the option. */

export interface FleetOptions {
  pdvs: number;
  /**
   * The worker processes' nice value (0: the replicas' own priority). The simulated PDVs stand for machines of
   * their own; at a lower priority they take only the CPU the replicas leave, which tells how much of a figure
   * is the harness's competition for these cores. Reported as harness_nice; the headline runs use 0.
   */
  harnessNice: number;
  replicas: number;
  /** Length of the commit phase. */
  seconds: number;
  /** Bound on bringing the fleet up (registration excluded); past it the run stops and says how far it got. */
  setupSeconds: number;
  /** Length of the idle phase (no commits, no sales) that the idle CPU figure is taken over. */
  idleSeconds: number;
  /** Worker processes the simulated PDVs are spread over. */
  workers: number;
  lojas: number;
  /** 'two': produto and preco_loja; 'all': every served table. */
  tables: 'two' | 'all';
  commitIntervalMs: number;
  /** Commits before the idle phase, measured apart (--warmup-commits; 0: the first measured commit meets a cold server). */
  warmUpCommits: number;
  /** pull-service's PULL_LONG_POLL_MS default. */
  longPollMs: number;
  /** pull-service's PULL_STREAM_MS default; --short-streams: longPollMs (streams as long as a wait, no heartbeats, as before). */
  streamMs: number;
  /** pull-service's STATUS_REPORT_INTERVAL_MS default. */
  statusIntervalMs: number;
  /** Share of the PDVs whose push-service posts sales during the commit phase. */
  salesFraction: number;
  /** How often a selling PDV posts a batch of sales (randomised by +-50 %). */
  saleIntervalMs: number;
  json: boolean;
  quick: boolean;
  pgUrl: string;
  /**
   * Root of the tree whose built central-api (packages/central-api/dist) is driven; null for this tree. Lets one
   * harness run an older central-api (a scratch worktree of another commit) under the same conditions.
   */
  centralDir: string | null;
  /**
   * Whether the PDVs wait with GET /v1/changes/wait (one request for all tables) as pull-service does; false
   * (--no-wait-endpoint) waits with one long poll per table, as a pull-service before that endpoint did.
   */
  waitEndpoint: boolean;
  /** Wait on the change stream as pull-service does; false (--no-stream): one GET /v1/changes/wait per wait, as before it. */
  stream: boolean;
  /** After a wait that named its tables, read those only, as pull-service does; false (--full-rounds): every table. */
  focusedRounds: boolean;
  /** The wait carries the changed tables' first pages, as pull-service asks; false (--no-wait-pages): names only. */
  waitPages: boolean;
}

export class FleetUsageError extends Error {}

const USAGE = 'usage: pnpm bench:fleet [--quick] [--json] [--pdvs N] [--replicas R] [--seconds S] [--idle-seconds S] [--workers W] [--lojas L] [--tables two|all] [--sales-fraction F] [--sale-interval S] [--warmup-commits N] [--setup-seconds S] [--central-dir PATH] [--harness-nice N] [--no-wait-endpoint] [--no-stream] [--short-streams] [--full-rounds] [--no-wait-pages]';

function positiveInt(name: string, value: string | undefined, max: number): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new FleetUsageError(`--${name} must be an integer from 1 to ${max} (got ${value ?? 'nothing'})`);
  }
  return Number(value);
}

export function parseFleetOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FleetOptions {
  const flags = new Set<string>();
  const values = new Map<string, string | undefined>();
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--') continue;
    if (arg === '--quick' || arg === '--json' || arg === '--no-wait-endpoint' || arg === '--no-stream' || arg === '--short-streams' || arg === '--full-rounds' || arg === '--no-wait-pages') flags.add(arg.slice(2));
    else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
      values.set(name, inline ?? argv[++index]);
    } else throw new FleetUsageError(`unexpected argument "${arg}"; ${USAGE}`);
  }
  const known = ['pdvs', 'replicas', 'seconds', 'idle-seconds', 'workers', 'lojas', 'tables', 'sales-fraction', 'sale-interval', 'warmup-commits', 'setup-seconds', 'central-dir', 'harness-nice'];
  for (const name of values.keys()) if (!known.includes(name)) throw new FleetUsageError(`unknown option --${name}; ${USAGE}`);
  const quick = flags.has('quick');
  const get = (name: string, fallback: number, max: number): number => (values.has(name) ? positiveInt(name, values.get(name), max) : fallback);
  const pdvs = get('pdvs', quick ? 2_000 : 10_000, 50_000);
  const tables = values.get('tables') ?? 'two';
  if (tables !== 'two' && tables !== 'all') throw new FleetUsageError(`--tables must be "two" or "all" (got ${tables})`);
  const fraction = values.has('sales-fraction') ? Number(values.get('sales-fraction')) : 0.1;
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) throw new FleetUsageError('--sales-fraction must be a number from 0 to 1');
  const centralDir = values.has('central-dir') ? resolve(values.get('central-dir') ?? '') : null;
  if (centralDir !== null && !existsSync(`${centralDir}/packages/central-api/dist/main.js`)) {
    throw new FleetUsageError(`--central-dir must be a tree with a built central-api (no ${centralDir}/packages/central-api/dist/main.js; run pnpm -s build there)`);
  }
  const niceText = values.has('harness-nice') ? (values.get('harness-nice') ?? '') : '0';
  if (!/^\d+$/.test(niceText) || Number(niceText) > 19) throw new FleetUsageError(`--harness-nice must be an integer from 0 to 19 (got ${niceText || 'nothing'})`);
  const harnessNice = Number(niceText);
  const pgUrl = env.BENCH_PG_URL || env.TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  return {
    pdvs,
    replicas: get('replicas', 1, 16),
    seconds: get('seconds', quick ? 40 : 120, 3_600),
    setupSeconds: get('setup-seconds', quick ? 120 : 900, 7_200),
    idleSeconds: get('idle-seconds', quick ? 20 : 60, 3_600),
    workers: get('workers', Math.min(4, Math.max(1, Math.ceil(pdvs / 500))), 16),
    lojas: get('lojas', Math.min(20, pdvs), 1_000),
    tables,
    commitIntervalMs: 2_000,
    warmUpCommits: values.has('warmup-commits') ? (values.get('warmup-commits') === '0' ? 0 : positiveInt('warmup-commits', values.get('warmup-commits'), 100)) : 4,
    longPollMs: 20_000,
    streamMs: flags.has('short-streams') ? 20_000 : 150_000,
    statusIntervalMs: 60_000,
    salesFraction: fraction,
    saleIntervalMs: get('sale-interval', 30, 3_600) * 1_000,
    json: flags.has('json'),
    quick,
    pgUrl,
    centralDir,
    harnessNice,
    waitEndpoint: !flags.has('no-wait-endpoint'),
    stream: !flags.has('no-stream'),
    focusedRounds: !flags.has('full-rounds'),
    waitPages: !flags.has('no-wait-pages'),
  };
}
