/** Outcome of parsing one configuration value: the value, or a message that starts with "expected". */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };
