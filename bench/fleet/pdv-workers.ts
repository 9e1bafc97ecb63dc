import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processCpuMs, processRssMb } from './proc-stats.js';
import type { FromWorker, WorkerCounters, WorkerPdv, WorkerSetup } from './protocol.js';

const WORKER_ENTRY = fileURLToPath(new URL('./pdv-worker.ts', import.meta.url));

export class PdvWorkerError extends Error {}

export interface FleetSettings extends Omit<WorkerSetup, 'type' | 'pdvs' | 'localAddress'> {
  workers: number;
  /** The workers' nice value (FleetOptions.harnessNice). */
  nice: number;
}

interface Worker {
  child: ChildProcess;
  counters: WorkerCounters;
  errorSamples: string[];
  ready: Promise<{ pdvs: number; failed: number }>;
  stopped: Promise<void>;
}

const EMPTY: WorkerCounters = { requests: 0, httpErrors: 0, wrongDeliveries: 0, salesPosted: 0, saleBatches: 0, statusReports: 0, waitRequests: 0, heartbeats: 0, streamFallbacks: 0, waitFallbacks: 0, refused503: 0, refused429: 0, openSockets: 0, started: 0 };

/**
 * The simulated fleet: its PDVs dealt round-robin over a few worker processes, each with its own loopback source
 * address (127.0.0.10, .11, ...), so that every worker has a full range of local ports to itself.
 */
export class PdvFleet {
  private readonly workers: Worker[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly onSightings: (data: readonly number[]) => void) {}

  start(pdvs: readonly WorkerPdv[], settings: FleetSettings): Promise<{ pdvs: number; failed: number }> {
    const shares: WorkerPdv[][] = Array.from({ length: settings.workers }, () => []);
    pdvs.forEach((pdv, index) => shares[index % settings.workers]!.push(pdv));
    shares.forEach((share, index) => {
      if (share.length === 0) return;
      const { workers: _workers, nice, ...common } = settings;
      this.workers.push(this.spawnWorker({ type: 'setup', ...common, pdvs: share, localAddress: `127.0.0.${10 + index}` }, nice));
    });
    return Promise.all(this.workers.map((worker) => worker.ready)).then((all) => ({
      pdvs: all.reduce((sum, one) => sum + one.pdvs, 0),
      failed: all.reduce((sum, one) => sum + one.failed, 0),
    }));
  }

  private spawnWorker(setup: WorkerSetup, nice: number): Worker {
    // Started under nice(1), so that every thread of the worker (V8's and libuv's too) runs at that priority.
    const launch = nice > 0 ? { execPath: 'nice', execArgv: ['-n', String(nice), process.execPath, '--import', 'tsx'] } : { execArgv: ['--import', 'tsx'] };
    const child = fork(WORKER_ENTRY, [], { ...launch, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let markReady: (value: { pdvs: number; failed: number }) => void = () => {};
    let markStopped: () => void = () => {};
    let fail: (error: Error) => void = () => {};
    const worker: Worker = {
      child,
      counters: { ...EMPTY },
      errorSamples: [],
      ready: new Promise((resolve, reject) => {
        markReady = resolve;
        fail = reject;
      }),
      stopped: new Promise<void>((resolve) => {
        markStopped = resolve;
      }),
    };
    child.on('message', (message: FromWorker) => {
      if (message.type === 'sightings') this.onSightings(message.data);
      else if (message.type === 'ready') markReady({ pdvs: message.pdvs, failed: message.failed });
      else {
        worker.counters = message.counters;
        worker.errorSamples = message.errorSamples;
      }
    });
    child.once('exit', (code) => {
      fail(new PdvWorkerError(`a PDV worker exited with code ${code} before its PDVs were ready`));
      markStopped();
    });
    child.send(setup);
    return worker;
  }

  setSales(on: boolean): void {
    for (const worker of this.workers) if (worker.child.connected) worker.child.send({ type: 'sales', on });
  }

  /** The workers' counters added up (as of their last report, at most a second old). */
  counters(): WorkerCounters {
    const total = { ...EMPTY };
    for (const worker of this.workers) for (const key of Object.keys(total) as (keyof WorkerCounters)[]) total[key] += worker.counters[key];
    return total;
  }

  errorSamples(): string[] {
    return this.workers.flatMap((worker) => worker.errorSamples);
  }

  cpuMs(): number {
    return this.workers.reduce((sum, worker) => sum + processCpuMs(worker.child.pid!), 0);
  }

  rssMb(): number {
    return this.workers.reduce((sum, worker) => sum + processRssMb(worker.child.pid!), 0);
  }

  /** Stops every PDV and waits for the workers' last counters and exit. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const worker of this.workers) if (worker.child.connected) worker.child.send({ type: 'stop' });
      const deadline = setTimeout(() => {
        for (const worker of this.workers) worker.child.kill('SIGKILL');
      }, 30_000);
      await Promise.all(this.workers.map((worker) => worker.stopped));
      clearTimeout(deadline);
    })();
    return this.stopping;
  }
}
