import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { applySchema, createPostgresDatabase, type Database } from '../../packages/core/src/index.js';
import { startCentralProcess, type CentralProcess } from '../../packages/core/test/support/central-process.js';
import { startFaultProxy, type FaultProxy } from '../../packages/core/test/support/fault-proxy.js';
import { DAEMON_ENTRY, spawnDaemon, waitFor, type SpawnedDaemon } from '../../packages/core/test/support/spawn-daemon.js';
import { seedCentralCatalog, seedReferenceData, seedStores } from '../../packages/demo/src/seed-catalog.js';
import { Till } from '../../packages/demo/src/till.js';
import { checkCatalog, checkSales } from '../../packages/demo/src/verify.js';
import { createScratchDatabase } from '../../push-service/bench/scratch-database.js';
import { startEmbeddedDatabase } from '../../packages/demo/src/embedded-database.js';
import type { ChaosContext, Outcome } from './context.js';

export const PDV = { pdvId: 'loja01-pdv01', lojaId: 1 } as const;
export const OTHER_PDV = { pdvId: 'loja02-pdv01', lojaId: 2 } as const;
export const HANDLERS = 'venda.finalizada=sync_handle_venda,caixa.movimento=sync_handle_caixa_movimento';

export interface ScratchDb {
  name: string;
  /** URL with the scenario's own role and password, as the children get it. */
  url: string;
  db: Database;
  drop(): Promise<void>;
}

/**
 * Each rig gets its own login role with a random password, so that the password is a real configured secret
 * that the secret scan can look for in every log line.
 */
async function createRole(ctx: ChaosContext, admin: Database): Promise<{ user: string; password: string; drop(): Promise<void> }> {
  const user = `gp_chaos_${randomBytes(4).toString('hex')}`;
  const password = ctx.secret(randomBytes(18).toString('base64url'));
  await admin.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
  return { user, password, drop: async () => void (await admin.query(`DROP ROLE IF EXISTS ${user}`)) };
}

async function scratch(ctx: ChaosContext, admin: Database, prefix: string, role: { user: string; password: string }): Promise<ScratchDb> {
  const created = await createScratchDatabase(ctx.pgUrl, prefix);
  const name = new URL(created.url).pathname.slice(1);
  await admin.query(`ALTER DATABASE ${name} OWNER TO ${role.user}`);
  const url = new URL(created.url);
  url.username = role.user;
  url.password = role.password;
  const db = createPostgresDatabase({ kind: 'postgres', connectionString: url.toString(), poolMax: 3, connectTimeoutMs: 5_000, requestTimeoutMs: 60_000 }, 'goldpdv-chaos');
  return {
    name,
    url: url.toString(),
    db,
    async drop() {
      await db.close().catch(() => undefined);
      await created.drop();
    },
  };
}

/** One daemon slot: the process running now, restarted as often as a scenario wants. */
export class DaemonSlot {
  current: SpawnedDaemon;
  starts = 1;

  constructor(
    readonly name: string,
    private readonly launch: () => SpawnedDaemon,
  ) {
    this.current = launch();
  }

  running(): boolean {
    return this.current.child.exitCode === null && this.current.child.signalCode === null;
  }

  async kill9(): Promise<void> {
    if (this.running()) this.current.child.kill('SIGKILL');
    await this.current.exited;
  }

  restart(): void {
    this.current = this.launch();
    this.starts += 1;
  }

  /** The health port from the daemon's "starting" log line. */
  async healthPort(): Promise<number> {
    return Number(await waitFor(async () => /"healthPort":(\d+)/.exec(this.current.stdout())?.[1], 30_000, `${this.name} health port`));
  }

  async stop(): Promise<void> {
    if (this.running()) this.current.child.kill('SIGTERM');
    const timer = setTimeout(() => this.current.child.kill('SIGKILL'), 10_000);
    await this.current.exited;
    clearTimeout(timer);
  }
}

export interface RigOptions {
  products: number;
  /** Where the central and PDV databases live: scratch databases on the server (default) or embedded PGlite. */
  backend?: 'postgres' | 'pglite';
  proxy?: boolean;
  centralEnv?: Record<string, string>;
}

export interface Rig {
  central: ScratchDb;
  pdv: ScratchDb;
  api: CentralProcess;
  proxy: FaultProxy | null;
  token: string;
  otherToken: string;
  password: string;
  till: Till;
  /** What the daemons use as CENTRAL_API_URL: the proxy when there is one. */
  daemonUrl: string;
  daemonEnv(kind: 'push' | 'pull', overrides?: Record<string, string>): Record<string, string>;
  startDaemon(kind: 'push' | 'pull', overrides?: Record<string, string>): DaemonSlot;
  dispose(): Promise<void>;
}

/**
 * The real system on the PostgreSQL server: a central database with the sample catalog and the reference
 * event handlers, a PDV database, central-api as a child process (optionally behind the fault proxy), and the
 * daemons as child processes on their built entry points.
 */
export async function createRig(ctx: ChaosContext, options: RigOptions): Promise<Rig> {
  const { central, pdv, password, release } = options.backend === 'pglite' ? await embeddedDatabases() : await serverDatabases(ctx);
  await applySchema(central.db, { role: 'central' });
  await applySchema(pdv.db, { role: 'pdv' });
  await seedStores(central.db);
  await seedReferenceData(central.db, Math.min(50, options.products));
  if (options.products > 50) await seedCentralCatalog(central.db, { products: options.products, customers: 200 }, 51);

  const token = ctx.secret(randomBytes(24).toString('base64url'));
  const otherToken = ctx.secret(randomBytes(24).toString('base64url'));
  const api = await startCentralProcess({
    DB_URL: central.url,
    PDV_TOKENS: `${PDV.pdvId}:${PDV.lojaId}:${token},${OTHER_PDV.pdvId}:${OTHER_PDV.lojaId}:${otherToken}`,
    EVENT_HANDLERS: HANDLERS,
    RETRY_AFTER_SECONDS: '1',
    DB_CONNECT_TIMEOUT_MS: '2000',
    ...options.centralEnv,
  });
  ctx.track('central-api', api.daemon);
  const proxy = options.proxy ? await startFaultProxy(api.url) : null;
  const daemonUrl = proxy?.url ?? api.url;
  const slots: DaemonSlot[] = [];

  const daemonEnv = (kind: 'push' | 'pull', overrides: Record<string, string> = {}): Record<string, string> => ({
    PDV_ID: PDV.pdvId,
    CENTRAL_API_URL: daemonUrl,
    CENTRAL_API_TOKEN: token,
    DB_URL: pdv.url,
    HEALTH_HOST: '127.0.0.1',
    HEALTH_PORT: '0',
    START_JITTER_MS: '0',
    ...(process.env.CHAOS_LOG_LEVEL ? { LOG_LEVEL: process.env.CHAOS_LOG_LEVEL } : {}),
    POLL_INTERVAL_MS: '200',
    DB_CONNECT_TIMEOUT_MS: '2000',
    DB_REQUEST_TIMEOUT_MS: '10000',
    SHUTDOWN_TIMEOUT_MS: '8000',
    ...(kind === 'push'
      ? { PUSH_BACKOFF_BASE_MS: '100', PUSH_BACKOFF_CAP_MS: '2000', PUSH_LEASE_MS: '5000', PUSH_CONNECT_TIMEOUT_MS: '1000', PUSH_RESPONSE_TIMEOUT_MS: '2500', PUSH_STOP_GRACE_MS: '1000' }
      : { PULL_LONG_POLL_MS: '1000', PULL_RETRY_BASE_MS: '100', PULL_RETRY_CAP_MS: '2000', PULL_CONNECT_TIMEOUT_MS: '1000', PULL_RESPONSE_TIMEOUT_MS: '4000' }),
    ...overrides,
  });

  return {
    central,
    pdv,
    api,
    proxy,
    token,
    otherToken,
    password,
    till: new Till(pdv.db, PDV.lojaId, PDV.pdvId),
    daemonUrl,
    daemonEnv,
    startDaemon(kind, overrides) {
      const name = `${kind}-service` as const;
      const slot = new DaemonSlot(name, () => ctx.track(name, spawnDaemon(DAEMON_ENTRY[name], daemonEnv(kind, overrides))));
      slots.push(slot);
      return slot;
    },
    async dispose() {
      await Promise.all(slots.map((slot) => slot.stop()));
      await proxy?.stop();
      await api.stop();
      if (process.env.CHAOS_KEEP_DB) return void process.stderr.write(`kept databases ${central.name} and ${pdv.name}\n`);
      await pdv.drop();
      await central.drop();
      await release();
    },
  };
}

interface RigDatabases {
  central: ScratchDb;
  pdv: ScratchDb;
  /** The password in the daemons' DB_URL ('' when the database asks for none). */
  password: string;
  release(): Promise<void>;
}

async function serverDatabases(ctx: ChaosContext): Promise<RigDatabases> {
  const admin = createPostgresDatabase({ kind: 'postgres', connectionString: ctx.pgUrl, poolMax: 1, connectTimeoutMs: 5_000, requestTimeoutMs: 60_000 }, 'goldpdv-chaos-admin');
  const role = await createRole(ctx, admin);
  const central = await scratch(ctx, admin, 'gp_chaos_central', role);
  const pdv = await scratch(ctx, admin, 'gp_chaos_pdv', role);
  return {
    central,
    pdv,
    password: role.password,
    async release() {
      await role.drop();
      await admin.close();
    },
  };
}

/** Two in-memory PGlite databases in this process, served over the PostgreSQL protocol as the demo does. */
async function embeddedDatabases(): Promise<RigDatabases> {
  const embedded = async (name: string): Promise<ScratchDb> => {
    const database = await startEmbeddedDatabase(name);
    return { name, url: database.url, db: database.db, drop: () => database.stop() };
  };
  return { central: await embedded('central'), pdv: await embedded('pdv'), password: '', release: async () => undefined };
}

/** Waits until the PDV has the central catalog (at least one product) so that the till can ring up sales. */
export async function waitFirstCatalog(rig: Rig, timeoutMs = 120_000): Promise<void> {
  await waitFor(async () => (await rig.pdv.db.query('SELECT 1 FROM preco_loja LIMIT 1')).rows.length > 0, timeoutMs, 'the first catalog rows on the PDV');
}

/** Events not yet delivered: in the outbox, or sales captured by the triggers and not yet built into events. */
export async function pendingEvents(rig: Rig): Promise<number> {
  const { rows } = await rig.pdv.db.query<{ n: string }>('SELECT (SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL) + (SELECT count(*) FROM sync_capture) AS n');
  return Number(rows[0]!.n);
}

/** True when no event waits (captured or in the outbox) and every catalog table equals the central one. */
export async function converged(rig: Rig): Promise<boolean> {
  if ((await pendingEvents(rig)) > 0) return false;
  return (await checkCatalog(PDV.pdvId, PDV.lojaId, rig.pdv.db, rig.central.db)).every((check) => check.ok);
}

/** Seconds until converged, or null when it did not happen within the timeout. */
export async function waitConverged(rig: Rig, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  for (;;) {
    if (await converged(rig).catch(() => false)) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) return null;
    await sleep(500);
  }
}

/**
 * The delivery figures: every event written on the PDV against what the central inbox and the reference
 * handlers hold. A duplicate apply shows up as more handler rows than events of that type, or as a dead
 * letter (a handler that sees a sale twice raises unique_violation and the event is rejected).
 */
export async function deliveryFigures(rig: Rig, outcome: Outcome): Promise<void> {
  const outbox = (await rig.pdv.db.query<{ id: string }>('SELECT event_id::text AS id FROM sync_outbox')).rows.map((row) => row.id);
  const dead = (await rig.pdv.db.query<{ id: string; reason: string | null }>('SELECT event_id::text AS id, last_error AS reason FROM sync_dead_letter')).rows;
  const inbox = (await rig.central.db.query<{ id: string; type: string }>('SELECT event_id::text AS id, event_type AS type FROM sync_inbox WHERE pdv_id = $1', [PDV.pdvId])).rows;
  const inboxIds = new Set(inbox.map((row) => row.id));
  const count = async (sql: string) => Number((await rig.central.db.query<{ n: string }>(sql, [PDV.pdvId])).rows[0]!.n);
  const vendas = await count('SELECT count(*) AS n FROM venda_central WHERE pdv_id = $1');
  const movimentos = await count('SELECT count(*) AS n FROM caixa_movimento_central WHERE pdv_id = $1');
  const vendaEvents = inbox.filter((row) => row.type === 'venda.finalizada').length;
  const caixaEvents = inbox.filter((row) => row.type === 'caixa.movimento').length;
  const created = outbox.length + dead.length;
  const lost = outbox.filter((id) => !inboxIds.has(id)).length;
  const appliedTwice = Math.max(0, vendas - vendaEvents) + Math.max(0, movimentos - caixaEvents) + dead.filter((row) => /unique|duplicate/i.test(row.reason ?? '')).length;
  const sales = (await checkSales(PDV.pdvId, rig.pdv.db, rig.central.db))[0]!;
  outcome.set('events created', created);
  outcome.set('distinct events at central', inboxIds.size);
  outcome.set('inbox rows', inbox.length);
  outcome.set('sales applied centrally', vendas);
  outcome.set('lost', lost);
  outcome.set('applied twice', appliedTwice);
  outcome.set('dead letters', dead.length);
  outcome.expect(lost === 0, `${lost} events never reached the central inbox`);
  outcome.expect(appliedTwice === 0, `${appliedTwice} events were applied twice by the central handlers`);
  outcome.expect(inbox.length === inboxIds.size, 'the inbox holds an event twice');
  outcome.expect(dead.length === 0, `${dead.length} valid events were dead-lettered: ${dead.slice(0, 3).map((row) => row.reason).join(' | ')}`);
  outcome.expect(vendas === vendaEvents && movimentos === caixaEvents, `handler rows (${vendas} sales, ${movimentos} cash movements) differ from the events (${vendaEvents}, ${caixaEvents})`);
  outcome.expect(sales.ok, `sales check: ${sales.detail}`);
}

export async function catalogFigures(rig: Rig, outcome: Outcome): Promise<void> {
  const checks = await checkCatalog(PDV.pdvId, PDV.lojaId, rig.pdv.db, rig.central.db);
  const equal = checks.every((check) => check.ok);
  outcome.set('catalog tables equal', `${checks.filter((check) => check.ok).length}/${checks.length}`);
  outcome.expect(equal, `catalog differs: ${checks.filter((check) => !check.ok).map((check) => `${check.name}: ${check.detail}`).join('; ')}`);
}

/** Business activity while a scenario runs: sales on the till and catalog edits centrally. */
export class Activity {
  private running = false;
  private loop: Promise<void> | null = null;
  errors = 0;

  constructor(
    private readonly rig: Rig,
    private readonly churn: { round(): Promise<void> },
  ) {}

  start(pauseMs = 300): void {
    this.running = true;
    this.loop = (async () => {
      let turn = 0;
      while (this.running) {
        turn += 1;
        try {
          if (turn % 3 === 0) await this.churn.round();
          await this.rig.till.ringUpSale();
        } catch {
          // A database fault scenario cuts our own connections too; the next turn opens new ones.
          this.errors += 1;
        }
        await sleep(pauseMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

export const randomBetween = (min: number, max: number): number => min + Math.random() * (max - min);
