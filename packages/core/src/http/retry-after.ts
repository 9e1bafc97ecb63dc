/**
 * Milliseconds a Retry-After header asks to wait (delta-seconds or an HTTP date), or null when it is absent or
 * unreadable: a bad header must not hold a table back.
 */
export function parseRetryAfterMs(header: string | string[] | undefined, now: number = Date.now()): number | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  // An HTTP date always names its weekday; without the check, Date.parse reads "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(value)) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
