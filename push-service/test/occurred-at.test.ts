import { describe, expect, it } from 'vitest';
import { toIso } from '../src/outbox/outbox-row.js';

describe('occurredAt of an outbox row', () => {
  it('passes the canonical UTC form through as it is', () => {
    expect(toIso('2026-11-30T13:20:01.123Z')).toBe('2026-11-30T13:20:01.123Z');
  });

  it('turns the PostgreSQL text form with a short offset into UTC ISO 8601', () => {
    expect(toIso('2026-11-30 13:20:01.123456+00')).toBe('2026-11-30T13:20:01.123Z');
    expect(toIso('2026-11-30 10:20:01.5-03')).toBe('2026-11-30T13:20:01.500Z');
  });

  it('reads a SQL Server datetime2 without zone (style 126) as UTC', () => {
    expect(toIso('2026-11-30T13:20:01.123')).toBe('2026-11-30T13:20:01.123Z');
    expect(toIso('2026-11-30T13:20:01')).toBe('2026-11-30T13:20:01.000Z');
  });
});
