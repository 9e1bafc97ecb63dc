import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { applySchema } from '../../packages/core/src/db/schema-runner.js';
import { createPostgresDatabase } from '../../packages/core/src/db/postgres.js';
import type { Database } from '../../packages/core/src/db/types.js';
import { startCentralProcess } from '../../packages/core/test/support/central-process.js';
import { DAEMON_ENTRY, spawnDaemon, waitFor } from '../../packages/core/test/support/spawn-daemon.js';
import { startWanProxy, STORE_LINK, UNSHAPED, type WanCounters, type WanShape } from '../../packages/core/test/support/wan-proxy.js';
import { countRows } from '../test/support/outbox-fixtures.js';
import { OUTAGE_PRODUCTS, outageDayEvents, ringUpOutageDay, type OutageDay } from './outage-day.js';
import { createScratchDatabase } from './scratch-database.js';

const PDV_ID = 'bench-pdv';
/** The central handlers of the demo: central applies every sale (items, payments, stock) before it acknowledges it. */
const EVENT_HANDLERS = 'venda.finalizada=sync_handle_venda,caixa.movimento=sync_handle_caixa_movimento';
/**
 * After failures push-service waits up to PUSH_BACKOFF_CAP_MS (default 5 minutes) before it tries a stream
 * again; the bench caps it at 1 s so that the drain measures the link and the batching, not where the backoff
 * happened to be when the link came back.
 */
const BACKOFF_CAP_MS = '1000';

export interface OutageDrain {
  mode: 'batch' | 'per-event';
  events: number;
  sales: number;
  seconds: number;
  bytesUp: number;
  bytesDown: number;
  connections: number;
}

/**
 * One PDV's day of sales queued while central was unreachable (the WAN proxy refusing every connection), then
 * the link comes back: the time from the link's return until central has acknowledged every event (push-service
 * has marked each sent), and the bytes on the wire meanwhile. A fresh central and PDV database per mode.
 */
export async function drainOutageBacklog(
  serverUrl: string,
  day: OutageDay,
  mode: OutageDrain['mode'],
  log: (line: string) => void,
  shape: WanShape = STORE_LINK,
): Promise<OutageDrain> {
  const centralDb = await createScratchDatabase(serverUrl, 'bench_wan_central');
  const pdvDb = await createScratchDatabase(serverUrl, 'bench_wan_pdv');
  const open = (url: string) => createPostgresDatabase({ kind: 'postgres', connectionString: url, poolMax: 2, connectTimeoutMs: 10_000, requestTimeoutMs: 600_000 });
  const central = open(centralDb.url);
  const pdv = open(pdvDb.url);
  const token = randomBytes(24).toString('base64url');
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    await applySchema(central, { role: 'central' });
    await applySchema(pdv, { role: 'pdv' });
    await seedCentral(central, day.lojaId);
    const api = await startCentralProcess({ DB_URL: centralDb.url, PDV_RATE_LIMIT_PER_S: '0', PDV_TOKENS: `${PDV_ID}:${day.lojaId}:${token}`, EVENT_HANDLERS });
    cleanup.push(async () => {
      await api.stop();
      if (process.env.BENCH_CENTRAL_LOG) appendFileSync(process.env.BENCH_CENTRAL_LOG, api.daemon.stdout());
    });
    const apiPort = Number(new URL(api.url).port);
    const proxy = await startWanProxy({ host: '127.0.0.1', port: apiPort }, shape);
    cleanup.push(() => proxy.stop());
    proxy.setLinkUp(false);

    const push = spawnDaemon(DAEMON_ENTRY['push-service'], {
      PDV_ID,
      CENTRAL_API_URL: proxy.url,
      CENTRAL_API_TOKEN: token,
      DB_URL: pdvDb.url,
      HEALTH_HOST: '127.0.0.1',
      HEALTH_PORT: '0',
      START_JITTER_MS: '0',
      PUSH_BACKOFF_CAP_MS: BACKOFF_CAP_MS,
      // Only the events on the wire: no status reports, no sales comparison with central during the drain.
      STATUS_REPORT_INTERVAL_MS: '0',
      PUSH_RECONCILE_INTERVAL_MS: '0',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      // The production default (5 s) unless BENCH_POLL_INTERVAL_MS says otherwise: the pause after a cycle that
      // found less than a full batch.
      ...(process.env.BENCH_POLL_INTERVAL_MS ? { POLL_INTERVAL_MS: process.env.BENCH_POLL_INTERVAL_MS } : {}),
      ...(mode === 'per-event' ? { PUSH_MODE: 'per-event', PUSH_EVENT_URL_TEMPLATE: `${proxy.url}/v1/events/{eventId}` } : {}),
    });
    cleanup.push(async () => {
      push.child.kill('SIGTERM');
      await push.exited;
      if (process.env.BENCH_PUSH_LOG) appendFileSync(process.env.BENCH_PUSH_LOG, push.stdout());
    });
    await waitFor(async () => {
      if (push.child.exitCode !== null) throw new Error(`push-service exited: ${push.stderr().slice(-2_000)}`);
      return push.stdout().includes('outbox event triggers installed');
    }, 60_000, 'push-service to install its capture triggers');

    const events = outageDayEvents(day);
    log(`${mode}: ringing up ${day.sales} sales in ${day.sessions} sessions while central is unreachable`);
    await ringUpOutageDay(pdv, day);
    await waitFor(async () => {
      if (push.child.exitCode !== null) throw new Error(`push-service exited: ${push.stderr().slice(-2_000)}`);
      const { rows } = await pdv.query<{ pending: string; captured: string }>(
        'SELECT (SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL) AS pending, (SELECT count(*) FROM sync_capture) AS captured',
      );
      return Number(rows[0]!.pending) === events && Number(rows[0]!.captured) === 0;
    }, 600_000, 'every sale to be built into an outbox event');
    // The outage is real to push-service: it has tried central and been refused before the link comes back.
    await waitFor(async () => proxy.counters().refused > 0, 60_000, 'push-service to try central during the outage');

    log(`${mode}: link up, draining ${events} events`);
    const before = proxy.counters();
    const started = performance.now();
    proxy.setLinkUp(true);
    // EXISTS stops at the first pending row: a COUNT every 100 ms would take CPU from the system being measured.
    await waitFor(async () => {
      if (push.child.exitCode !== null) throw new Error(`push-service exited: ${push.stderr().slice(-2_000)}`);
      const { rows } = await pdv.query<{ pending: boolean }>('SELECT EXISTS (SELECT 1 FROM sync_outbox WHERE sent_at IS NULL) AS pending');
      return rows[0]!.pending === false;
    }, 1_800_000, 'the backlog to drain');
    const seconds = (performance.now() - started) / 1_000;
    const traffic = difference(before, proxy.counters());

    const inbox = await countRows(central, 'sync_inbox');
    const applied = await countRows(central, 'venda_central');
    if (inbox !== events || applied !== day.sales) throw new Error(`central holds ${inbox} events and ${applied} sales; expected ${events} and ${day.sales}`);
    if ((await countRows(pdv, 'sync_dead_letter')) > 0) throw new Error('some events went to dead letters');
    return { mode, events, sales: day.sales, seconds, ...traffic };
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await central.close();
    await pdv.close();
    await centralDb.drop();
    await pdvDb.drop();
  }
}

function difference(before: WanCounters, after: WanCounters): Pick<OutageDrain, 'bytesUp' | 'bytesDown' | 'connections'> {
  return { bytesUp: after.bytesUp - before.bytesUp, bytesDown: after.bytesDown - before.bytesDown, connections: after.connections - before.connections };
}

/** The store and the products the sales reference (the stock handler keeps a foreign key to produto). */
async function seedCentral(central: Database, lojaId: number): Promise<void> {
  await central.query(`INSERT INTO loja (loja_id, nome) VALUES ($1, 'Bench')`, [lojaId]);
  await central.query(`INSERT INTO categoria (categoria_id, nome) VALUES (1, 'Bebidas'), (2, 'Padaria'), (3, 'Açougue')`);
  await central.query(
    `INSERT INTO produto (produto_id, codigo_barras, descricao, categoria_id, unidade, ncm, preco_base, custo, aliquota_icms, ativo, criado_em, atualizado_em)
     SELECT g, (7890000000000 + g)::text, 'Produto ' || g || ' — pão de açúcar', 1 + g % 3, 'UN', '22030000', (g * 1.2345)::numeric(18,4),
            (g * 0.5)::numeric(18,4), 18.0000, true, now(), now()
     FROM generate_series(1, $1::int) AS g`,
    [OUTAGE_PRODUCTS],
  );
}

/** `pnpm bench:push --wan [--quick] [--json]`: the outage drain, batched and one request per event, over the shaped link. */
export async function runPushWan(serverUrl: string, quick: boolean, log: (line: string) => void): Promise<Record<string, number | string>> {
  const day: OutageDay = { sales: quick ? 1_000 : 5_000, sessions: 3, lojaId: 1, pdvId: PDV_ID };
  const batched = await drainOutageBacklog(serverUrl, day, 'batch', log);
  const perEvent = await drainOutageBacklog(serverUrl, day, 'per-event', log);
  // The same batched drain through the proxy without shaping: what the link adds, and what is the machine's own.
  const loopback = await drainOutageBacklog(serverUrl, day, 'batch', (line) => log(`unshaped ${line}`), UNSHAPED);
  const perEventBytes = (drain: OutageDrain) => Math.round((drain.bytesUp + drain.bytesDown) / drain.events);
  return {
    mode: quick ? 'quick' : 'full',
    poll_interval_ms: Number(process.env.BENCH_POLL_INTERVAL_MS ?? 5_000),
    link: `${2 * STORE_LINK.oneWayDelayMs} ms round trip, ${STORE_LINK.bitsPerSecond / 1e6} Mbit/s each way`,
    outage_sales: day.sales,
    outage_sessions: day.sessions,
    outage_events: batched.events,
    wan_drain_s: round(batched.seconds, 2),
    wan_per_event_drain_s: round(perEvent.seconds, 2),
    wan_drain_ratio: round(perEvent.seconds / batched.seconds, 1),
    unshaped_drain_s: round(loopback.seconds, 2),
    wan_bytes_per_event: perEventBytes(batched),
    wan_per_event_bytes_per_event: perEventBytes(perEvent),
    wan_bytes_up: batched.bytesUp,
    wan_bytes_down: batched.bytesDown,
    wan_per_event_bytes_up: perEvent.bytesUp,
    wan_per_event_bytes_down: perEvent.bytesDown,
    wan_connections: batched.connections,
    wan_per_event_connections: perEvent.connections,
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
