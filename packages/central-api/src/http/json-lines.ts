import { JsonParts } from './json-parts.js';

export interface StreamHeartbeat {
  /** A heartbeat line (STREAM_HEARTBEAT_LINE) after each so many ms without a line; 0: none. */
  heartbeatMs: number;
  /** The first line is still to come after a heartbeat's time: the head goes out at once, with a heartbeat. */
  headNow: boolean;
}

/** The promise's value, or null when `ms` pass first (it is then still to come, and still to be awaited). */
export function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([promise, elapsed]).finally(() => clearTimeout(timer));
}

/**
 * A streamed answer (application/x-ndjson): one JSON text per line, sent as each is made, on one open response.
 * `close` runs once the answer is over, however it ended (sent whole, the client gone, the server stopping), and
 * also when it was never started: whatever the handler took for it (a place under a cap) is given back there.
 */
export class JsonLines {
  private closed = false;

  constructor(
    readonly lines: AsyncIterator<JsonParts>,
    private readonly onClose: () => void,
    readonly heartbeat: StreamHeartbeat = { heartbeatMs: 0, headNow: false },
  ) {}

  /** Ends the producer and runs onClose. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.lines.return?.();
    } finally {
      this.onClose();
    }
  }
}

/** The parts of one line: the JSON text and its newline. */
export const lineOf = (json: JsonParts): JsonParts => new JsonParts([...json.parts, '\n']);

export const NDJSON_TYPE = 'application/x-ndjson; charset=utf-8';
