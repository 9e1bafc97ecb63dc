import { openFileCount } from './proc-stats.js';
import type { FromWorker, ToWorker, WorkerCounters, WorkerSetup } from './protocol.js';
import { SimulatedPdv, type PdvEnvironment } from './simulated-pdv.js';

/**
 * A worker process of the fleet: runs its share of the simulated PDVs and tells the harness, over IPC, what they
 * saw and when. Started by pdv-workers.ts with `node --import tsx`.
 */

const SIGHTINGS_FLUSH_MS = 200;
const COUNTERS_EVERY_MS = 1_000;
const ERROR_SAMPLES = 20;

const counters: WorkerCounters = { requests: 0, httpErrors: 0, wrongDeliveries: 0, salesPosted: 0, saleBatches: 0, statusReports: 0, waitRequests: 0, heartbeats: 0, streamFallbacks: 0, waitFallbacks: 0, refused503: 0, refused429: 0, openSockets: 0, started: 0 };
const errorSamples: string[] = [];
let sightings: number[] = [];
let salesOn = false;
let pdvs: SimulatedPdv[] = [];
let timers: NodeJS.Timeout[] = [];

function send(message: FromWorker): void {
  process.send?.(message);
}

function flushSightings(): void {
  if (sightings.length === 0) return;
  send({ type: 'sightings', data: sightings });
  sightings = [];
}

function snapshotCounters(): WorkerCounters {
  return { ...counters, openSockets: openFileCount(process.pid) };
}

async function setUp(setup: WorkerSetup): Promise<void> {
  const env: PdvEnvironment = {
    tables: setup.tables,
    localAddress: setup.localAddress,
    longPollMs: setup.longPollMs,
    streamMs: setup.streamMs,
    waitEndpoint: setup.waitEndpoint,
    stream: setup.stream,
    focusedRounds: setup.focusedRounds,
    waitPages: setup.waitPages,
    statusIntervalMs: setup.statusIntervalMs,
    saleIntervalMs: setup.saleIntervalMs,
    products: setup.products,
    snapshots: new Map(),
    counters,
    salesOn: () => salesOn,
    sighted: (commitId, pdvIndex, at) => sightings.push(commitId, pdvIndex, at),
    error: (message) => {
      if (errorSamples.length < ERROR_SAMPLES) errorSamples.push(message.slice(0, 300));
    },
  };
  timers.push(setInterval(flushSightings, SIGHTINGS_FLUSH_MS));
  timers.push(setInterval(() => send({ type: 'counters', counters: snapshotCounters(), errorSamples }), COUNTERS_EVERY_MS));
  pdvs = setup.pdvs.map((pdv) => new SimulatedPdv(pdv, env));
  // A bounded number start at once, as a fleet coming up over a few seconds would; each long-polls once loaded.
  let next = 0;
  let failed = 0;
  const starter = async (): Promise<void> => {
    while (next < pdvs.length) {
      const pdv = pdvs[next++]!;
      try {
        await pdv.init();
        pdv.start();
        counters.started += 1;
      } catch (error) {
        failed += 1;
        counters.httpErrors += 1;
        env.error(`start: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(setup.startConcurrency, pdvs.length) }, starter));
  send({ type: 'ready', pdvs: pdvs.length, failed });
}

async function stop(): Promise<void> {
  for (const timer of timers) clearInterval(timer);
  timers = [];
  await Promise.all(pdvs.map((pdv) => pdv.stop()));
  flushSightings();
  // Exits once the last message is out: the harness reads the worker's CPU before this and waits for the exit.
  process.send?.({ type: 'stopped', counters: snapshotCounters(), errorSamples } satisfies FromWorker, () => process.exit(0));
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'setup') void setUp(message);
  else if (message.type === 'sales') salesOn = message.on;
  else if (message.type === 'stop') void stop();
});
// The harness gone (crashed or killed): nothing left to report to.
process.on('disconnect', () => process.exit(0));
