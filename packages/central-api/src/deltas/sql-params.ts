import type { DialectName } from '@goldpdv/core';

/**
 * Collects bound values while a statement is assembled and hands back each one's placeholder ($n on
 * PostgreSQL, @pn on SQL Server), so that a value is only bound when the text actually refers to it:
 * PostgreSQL refuses a parameter it cannot type because no expression uses it.
 */
export class SqlParamList {
  readonly values: unknown[] = [];

  constructor(private readonly dialect: DialectName) {}

  add(value: unknown): string {
    this.values.push(value);
    const n = this.values.length;
    return this.dialect === 'postgres' ? `$${n}` : `@p${n}`;
  }
}
