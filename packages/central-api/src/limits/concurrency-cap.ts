import { serviceUnavailable } from '../http/problem.js';

/**
 * A bound on how many requests of one kind a replica serves at once (snapshots, long polls). Beyond it the
 * request is answered 503 with Retry-After at once, before it takes a connection from the pool or a place
 * among the waiters: the PDVs come back later, with jitter, and a replica under a reconnect storm stays up.
 */
export class ConcurrencyCap {
  private running = 0;
  refused = 0;

  constructor(
    readonly what: string,
    private readonly max: number,
    private readonly retryAfterSeconds: number,
  ) {}

  get current(): number {
    return this.running;
  }

  /** Runs `work` within the cap, or throws the 503 when the cap is reached. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /**
   * Takes a place now, for work that outlives the handler (a streamed answer), or throws the 503. The returned
   * release gives it back; calling it again does nothing.
   */
  acquire(): () => void {
    if (this.running >= this.max) {
      this.refused += 1;
      throw serviceUnavailable(this.retryAfterSeconds, `this server already serves ${this.max} ${this.what}; retry after ${this.retryAfterSeconds} s`);
    }
    this.running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
    };
  }
}
