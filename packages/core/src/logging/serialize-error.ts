import pino from 'pino';

type SerializedError = Record<string, unknown> & { cause?: unknown };

function isErrorLike(value: unknown): value is Error & { cause?: unknown; context?: unknown } {
  return typeof value === 'object' && value !== null && 'message' in value && 'stack' in value;
}

/**
 * `err` as structured JSON: type, message, stack, every own field (so a SyncError's `context` and
 * `kind` come along), and the `cause` chain as nested objects rather than text glued to the message,
 * so a log query can reach `err.cause.code`. One stack per line: the outer error's, which shows the path
 * through this project's code; the causes keep their type, message and fields, not their stacks (a
 * database retry wrapped three deep otherwise wrote about 2.6 KB of traces, mostly driver internals).
 */
export function serializeError(err: unknown): unknown {
  if (!isErrorLike(err)) return err;
  const serialized = pino.stdSerializers.errWithCause(err) as unknown as SerializedError;

  // pino keeps only causes that are errors themselves and only enumerable fields; walk the chain to
  // keep a plain-value cause (`{ cause: 'timeout' }`) and a `context` defined as a getter too.
  let raw: unknown = err;
  let out: SerializedError | undefined = serialized;
  while (out !== undefined && isErrorLike(raw)) {
    if (out.context === undefined && raw.context !== undefined) out.context = raw.context;
    if (out.cause === undefined && raw.cause !== undefined && !isErrorLike(raw.cause)) out.cause = raw.cause;
    if (out !== serialized) delete out.stack;
    raw = raw.cause;
    out = typeof out.cause === 'object' && out.cause !== null ? (out.cause as SerializedError) : undefined;
  }
  return serialized;
}
