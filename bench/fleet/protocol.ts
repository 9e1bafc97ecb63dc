/** Messages between the harness and its PDV worker processes (Node IPC). */

export interface WorkerPdv {
  /** Index in the whole fleet: how the harness counts who saw what. */
  index: number;
  pdvId: string;
  lojaId: number;
  token: string;
  baseUrl: string;
  sells: boolean;
}

/** How every simulated PDV of a worker behaves: sent with the setup, kept by each PDV. */
export interface PdvSettings {
  tables: readonly string[];
  /** Source address of this worker's sockets: each worker gets its own, so loopback ports do not run out. */
  localAddress: string;
  longPollMs: number;
  /**
   * pull-service's PULL_STREAM_MS: how long one change stream stays open, with a heartbeat line every
   * longPollMs (at most 30 s) when longer than longPollMs; not longer, a stream lasts longPollMs.
   */
  streamMs: number;
  /** Wait with GET /v1/changes/wait (one request for all tables) before falling back to one long poll per table. */
  waitEndpoint: boolean;
  /** Wait on the change stream (GET /v1/changes/stream), as pull-service does; false (--no-stream): a request per wait. */
  stream: boolean;
  /** After a wait that named its tables, read those only (pull-service's PullRound focus). */
  focusedRounds: boolean;
  /** Ask the wait to carry the changed tables' first pages (limit and Sync-Tokens), as pull-service does. */
  waitPages: boolean;
  statusIntervalMs: number;
  saleIntervalMs: number;
  products: number;
}

export interface WorkerSetup extends PdvSettings {
  type: 'setup';
  pdvs: WorkerPdv[];
  /** PDVs starting at the same time in this worker (their GET /v1/tables and snapshots). */
  startConcurrency: number;
}

export type ToWorker = WorkerSetup | { type: 'sales'; on: boolean } | { type: 'stop' };

export interface WorkerCounters {
  requests: number;
  /** HTTP errors: answers other than the expected 2xx, network failures, timeouts. */
  httpErrors: number;
  /** A price row of another loja delivered to this PDV. */
  wrongDeliveries: number;
  salesPosted: number;
  saleBatches: number;
  statusReports: number;
  /** GET /v1/changes/wait requests sent (or change streams opened). */
  waitRequests: number;
  /** Heartbeat lines read on change streams (and passed over). */
  heartbeats: number;
  /** PDVs that got 404 to GET /v1/changes/stream and waited with a request per wait from then on. */
  streamFallbacks: number;
  /** PDVs that got 404 to GET /v1/changes/wait and wait per table from then on. */
  waitFallbacks: number;
  /** 503 and 429 answers with Retry-After, honoured (at least that long, up to twice it): not errors. */
  refused503: number;
  refused429: number;
  openSockets: number;
  /** PDVs loaded and long-polling. */
  started: number;
}

export type FromWorker =
  /** Every PDV of the worker has its snapshots and is long-polling. */
  | { type: 'ready'; pdvs: number; failed: number }
  /** Flattened triples: commit id, PDV index, Date.now() when the page holding the row arrived. */
  | { type: 'sightings'; data: number[] }
  | { type: 'counters'; counters: WorkerCounters; errorSamples: string[] }
  | { type: 'stopped'; counters: WorkerCounters; errorSamples: string[] };
