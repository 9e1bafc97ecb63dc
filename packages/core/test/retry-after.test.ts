import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs } from '../src/http/retry-after.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-11-30T10:00:00Z');
  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs([' 3 '], now)).toBe(3_000);
  });
  it('reads an HTTP date, and a date in the past means now', () => {
    expect(parseRetryAfterMs('Mon, 30 Nov 2026 10:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfterMs('Mon, 30 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });
  it('ignores an absent or unreadable header', () => {
    expect(parseRetryAfterMs(undefined, now)).toBeNull();
    expect(parseRetryAfterMs('', now)).toBeNull();
    expect(parseRetryAfterMs('soon', now)).toBeNull();
    expect(parseRetryAfterMs('-5', now)).toBeNull();
  });
});
