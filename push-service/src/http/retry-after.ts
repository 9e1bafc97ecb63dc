/**
 * Parses a Retry-After header: delta-seconds or an HTTP date. Returns milliseconds from `now`, or null when the
 * header is absent or unreadable (a bad header must not stall a queue).
 */
export function parseRetryAfterMs(header: string | string[] | undefined, now: number = Date.now()): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}
