import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test-support/seeded-random.js';
import { eventEnvelopeSchema, MAX_PAYLOAD_CHARS } from '../src/contract/events-contract.js';
import { asEventEnvelope, checkEventEnvelope, safeParseEventEnvelope } from '../src/contract/envelope-check.js';

/**
 * Both sides check each event without the zod walk when asEventEnvelope accepts it. Whatever it accepts, the
 * schema must accept too and give back the same fields; what it refuses goes to the schema, which names the
 * fault. Tried on every value below in every field, and on random combinations of them.
 */
const valid = () => ({
  eventId: '7c1c2a76-6f0e-4b43-9b8e-6b7f4f4f2a01',
  type: 'venda.finalizada',
  streamKey: 'caixa:0001',
  occurredAt: '2026-11-30T10:00:00.123Z',
  payload: '{"total":"10.00"}',
});

const candidates: Record<string, unknown[]> = {
  eventId: [
    '7C1C2A76-6F0E-4B43-9B8E-6B7F4F4F2A01',
    '7c1c2a76-6f0e-0b43-9b8e-6b7f4f4f2a01', // version 0
    '7c1c2a76-6f0e-9b43-9b8e-6b7f4f4f2a01', // version 9
    '7c1c2a76-6f0e-4b43-7b8e-6b7f4f4f2a01', // variant 7
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '7c1c2a766f0e4b439b8e6b7f4f4f2a01',
    '{7c1c2a76-6f0e-4b43-9b8e-6b7f4f4f2a01}',
    ' 7c1c2a76-6f0e-4b43-9b8e-6b7f4f4f2a01',
    '7c1c2a76-6f0e-4b43-9b8e-6b7f4f4f2a01\n',
    '',
  ],
  type: ['a', 'nfe.cancelada', 'a1_b.c2', 'A.b', '1a', 'a..b', 'a.', '.a', 'a-b', 'a'.repeat(64), 'a'.repeat(65), `${'a'.repeat(63)}\n`, ''],
  streamKey: ['x', 'x'.repeat(128), 'x'.repeat(129), '', ' ', 'caixa:ç', '\u0000', '😀'.repeat(64), '😀'.repeat(65)],
  occurredAt: [
    '2026-11-30T10:00:00Z',
    '2026-11-30T10:00:00.123456789+03:00',
    '2026-11-30T10:00:00-03:00',
    '2026-11-30T10:00:00',
    '2026-11-30T10:00Z',
    '2026-11-30 10:00:00Z',
    '2026-11-30T10:00:00z',
    '2026-11-30T10:00:00+0300',
    '2026-11-30T10:00:00+24:00',
    '2024-02-29T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-31T00:00:00Z',
    '2026-11-30T24:00:00Z',
    '2026-11-30T10:00:60Z',
    '+2026-11-30T10:00:00Z',
    '2026-11-30',
    '',
  ],
  payload: ['', '{}', 'not json', '\u0000', 'x'.repeat(MAX_PAYLOAD_CHARS), 'x'.repeat(MAX_PAYLOAD_CHARS + 1)],
};
// Values of the wrong type, tried in every field.
const wrongTypes: unknown[] = [undefined, null, 0, 1.5, true, [], {}, ['a'], { toString: () => 'a' }, Symbol('s'), 10n];

function agree(item: unknown): 'fast' | 'schema' {
  const fast = asEventEnvelope(item);
  const schema = eventEnvelopeSchema.safeParse(item);
  // The wrapper both sides call gives the schema's verdict and fields whichever path it takes.
  const wrapped = safeParseEventEnvelope(item);
  expect(wrapped.success).toBe(schema.success);
  if (schema.success) expect(wrapped.data).toEqual(schema.data);
  else expect(wrapped.error?.issues).toEqual(schema.error.issues);
  if (fast !== null) {
    expect(schema.success, `accepted fast but refused by the schema: ${String(JSON.stringify(item))?.slice(0, 200)}`).toBe(true);
    expect(fast).toEqual(schema.data);
    return 'fast';
  }
  return 'schema';
}

describe('asEventEnvelope', () => {
  it('takes a plainly valid envelope as the schema does, keeping only the envelope fields', () => {
    expect(asEventEnvelope(valid())).toEqual(valid());
    expect(asEventEnvelope({ ...valid(), extra: 1 })).toEqual(valid());
    expect(agree({ ...valid(), extra: 1 })).toBe('fast');
  });

  it('never accepts what the schema refuses, field by field', () => {
    let fast = 0;
    let refusedByBoth = 0;
    for (const [field, values] of Object.entries(candidates)) {
      for (const value of [...values, ...wrongTypes]) {
        const item: Record<string, unknown> = { ...valid(), [field]: value };
        if (agree(item) === 'fast') fast += 1;
        else if (!eventEnvelopeSchema.safeParse(item).success) refusedByBoth += 1;
      }
      const missing: Record<string, unknown> = valid();
      delete missing[field];
      expect(agree(missing)).toBe('schema');
    }
    for (const item of [null, undefined, 'x', 1, [], [valid()], Object.create(null) as unknown]) agree(item);
    // Both kinds occur, so neither half of the check is vacuous.
    expect(fast).toBeGreaterThan(15);
    expect(refusedByBoth).toBeGreaterThan(60);
  });

  it('never accepts what the schema refuses, on 5,000 random combinations', () => {
    const generator = seededRandom(7);
    const random = (n: number) => generator.below(n);
    const counts = { fast: 0, schema: 0 };
    const fields = Object.keys(candidates);
    for (let i = 0; i < 5_000; i++) {
      const item: Record<string, unknown> = valid();
      for (let changes = random(3) + 1; changes > 0; changes--) {
        const field = fields[random(fields.length)]!;
        const pool = [...candidates[field]!, ...wrongTypes];
        item[field] = pool[random(pool.length)];
      }
      counts[agree(item)] += 1;
    }
    expect(counts.fast).toBeGreaterThan(500);
    expect(counts.schema).toBeGreaterThan(500);
  });
});

describe('checkEventEnvelope: the one rule set of push triage and central ingest', () => {
  const event = (payload: string) => ({ ...valid(), payload });
  it('accepts the JSON text of an object and refuses any other payload, naming the field', () => {
    expect(checkEventEnvelope(event('{"total":"10.50"}')).ok).toBe(true);
    for (const [payload, message] of [
      ['x', /^must be JSON text/],
      ['[1,2]', /^must be the JSON text of an object$/],
      ['"text"', /^must be the JSON text of an object$/],
      ['null', /^must be the JSON text of an object$/],
      ['{"a":"\u0000"}', /NUL/],
      ['{"a":"\ud800"}', /lone surrogate/],
    ] as const) {
      const checked = checkEventEnvelope(event(payload));
      expect(checked.ok).toBe(false);
      if (!checked.ok) {
        expect(checked.path).toEqual(['payload']);
        expect(checked.message).toMatch(message);
      }
    }
  });

  it('names a missing or mistyped envelope field', () => {
    const missing = checkEventEnvelope({ ...valid(), eventId: undefined });
    expect(missing).toMatchObject({ ok: false, path: ['eventId'], message: 'is required' });
    expect(checkEventEnvelope({ ...valid(), streamKey: 7 })).toMatchObject({ ok: false, path: ['streamKey'], message: 'must be a string' });
  });
});
