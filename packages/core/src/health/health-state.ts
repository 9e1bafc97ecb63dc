/** One dependency the daemon needs in order to do useful work ('database', 'central-api'...). */
export interface ComponentStatus {
  ok: boolean;
  detail?: string;
  /** When the component entered its current ok/not-ok state, so an operator sees how long it has been down. */
  since: Date;
}

/** A condition worth showing to an operator that must not restart the container nor take it out of service. */
export interface DegradedStatus {
  detail: string;
  since: Date;
}

/** Extra figures (backlog, oldest pending age...) shown in the health JSON; they never change the status. */
export type HealthInfoValue = string | number | boolean | null;

export interface LoopStatus {
  lastBeatAt: Date;
  silenceMs: number;
  maxLoopSilenceMs: number;
}

export interface LivenessReport {
  ok: boolean;
  loop: LoopStatus;
}

export interface ReadinessReport {
  ok: boolean;
  live: boolean;
  loop: LoopStatus;
  components: Record<string, ComponentStatus>;
  degraded: Record<string, DegradedStatus>;
  info: Record<string, HealthInfoValue>;
}

export interface HealthStateOptions {
  /** Liveness fails when the work loop has not called `beat()` for longer than this. */
  maxLoopSilenceMs: number;
  /**
   * Components that must have reported ok before the daemon is ready. Without this, a daemon whose database
   * check has not run yet would look ready simply because nothing has reported a failure.
   */
  requiredComponents?: readonly string[];
}

/**
 * What a daemon knows about its own health, updated by its loop and read by the health server.
 *
 * Liveness answers "should this process be restarted?": only a stuck loop (for example a query hanging on a
 * dead connection that never times out) makes it fail, because restarting does not fix an unreachable
 * database. Readiness answers "is it doing its job?": every required component is ok and the loop is live.
 */
export class HealthState {
  private readonly maxLoopSilenceMs: number;
  private readonly components = new Map<string, ComponentStatus>();
  private readonly degraded = new Map<string, DegradedStatus>();
  private readonly info = new Map<string, HealthInfoValue>();
  // Start counts as a beat, so that the first cycle gets the same allowance as any other.
  private lastBeatAt = new Date();

  constructor(options: HealthStateOptions) {
    if (!Number.isFinite(options.maxLoopSilenceMs) || options.maxLoopSilenceMs <= 0) {
      throw new RangeError(`maxLoopSilenceMs must be a positive number, got ${options.maxLoopSilenceMs}`);
    }
    this.maxLoopSilenceMs = options.maxLoopSilenceMs;
    const startedAt = new Date();
    for (const name of options.requiredComponents ?? []) {
      this.components.set(name, { ok: false, detail: 'not checked yet', since: startedAt });
    }
  }

  /** Called by the work loop on every turn, including idle ones, to prove it is not stuck. */
  beat(): void {
    this.lastBeatAt = new Date();
  }

  markReady(component: string, detail?: string): void {
    this.setComponent(component, true, detail);
  }

  markNotReady(component: string, detail: string): void {
    this.setComponent(component, false, detail);
  }

  /** Reports a condition without affecting liveness or readiness, e.g. the central API being unreachable. */
  setDegraded(component: string, detail: string): void {
    const previous = this.degraded.get(component);
    this.degraded.set(component, { detail, since: previous?.since ?? new Date() });
  }

  clearDegraded(component: string): void {
    this.degraded.delete(component);
  }

  setInfo(key: string, value: HealthInfoValue): void {
    this.info.set(key, value);
  }

  liveness(): LivenessReport {
    const silenceMs = Date.now() - this.lastBeatAt.getTime();
    return {
      ok: silenceMs <= this.maxLoopSilenceMs,
      loop: { lastBeatAt: this.lastBeatAt, silenceMs, maxLoopSilenceMs: this.maxLoopSilenceMs },
    };
  }

  readiness(): ReadinessReport {
    const live = this.liveness();
    const components = Object.fromEntries([...this.components].map(([name, status]) => [name, { ...status }]));
    const allComponentsOk = [...this.components.values()].every((status) => status.ok);
    return {
      ok: live.ok && allComponentsOk,
      live: live.ok,
      loop: live.loop,
      components,
      degraded: Object.fromEntries([...this.degraded].map(([name, status]) => [name, { ...status }])),
      info: Object.fromEntries(this.info),
    };
  }

  private setComponent(component: string, ok: boolean, detail: string | undefined): void {
    const previous = this.components.get(component);
    // `since` moves only on a change of state; a repeated failure must not hide how long it has lasted.
    const since = previous !== undefined && previous.ok === ok ? previous.since : new Date();
    const status: ComponentStatus = detail === undefined ? { ok, since } : { ok, detail, since };
    this.components.set(component, status);
  }
}
