import { describe, expect, it } from 'vitest';
import type { ColumnType } from '@goldpdv/core';
import type { LocalColumn } from '../src/db/local-schema.js';
import { valueFits } from '../src/plan/value-checks.js';

const column = (type: ColumnType, dataType: string): LocalColumn => ({
  name: 'c', dataType, type, castType: dataType, maxLength: null, precision: null, scale: null, nullable: true, hasDefault: false, identity: null, generated: false,
});

/** valueFits only names the column of a row the database refused; it must not blame a value PostgreSQL holds. */
describe('value checks take the contract\'s edge forms', () => {
  it.each([
    ['float', 'double precision', ['-0', 'NaN', 'Infinity', '-Infinity', 1.5, '2.5e-300']],
    ['time', 'time without time zone', ['24:00:00', '23:59:59.999999']],
    ['date', 'date', ['infinity', '-infinity', '0044-03-15 BC', '2026-11-30']],
    ['timestamp', 'timestamp without time zone', ['infinity', '-infinity', '0044-03-15T10:00:00.000000 BC', '2026-11-30T10:15:00.1234567']],
    ['timestamptz', 'timestamp with time zone', ['infinity', '-infinity', '0044-03-15T10:00:00.000000+00:00 BC', '2026-11-30T10:15:00-03:00']],
  ] as const)('%s (%s) fits %j', (type, dataType, values) => {
    for (const value of values) expect(valueFits(column(type, dataType), value), String(value)).toBe(true);
  });

  it.each([
    ['float', 'double precision', ['nan', 'inf', '', 'abc']],
    ['date', 'date', ['Infinity', '0044-03-15 AD', '2026-11-30 BCE']],
    ['timestamp', 'timestamp without time zone', ['infinite', '2026-11-30']],
  ] as const)('%s (%s) does not fit %j', (type, dataType, values) => {
    for (const value of values) expect(valueFits(column(type, dataType), value), String(value)).toBe(false);
  });
});
