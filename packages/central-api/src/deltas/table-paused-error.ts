import { ContractError } from '@goldpdv/core';

/** The table is declared but cannot be served as declared now (served-tables-check.ts): 409 table-paused. */
export class TablePausedError extends ContractError {
  constructor(readonly table: string, readonly reason: string) {
    super(`table ${table} is paused: ${reason}`, { context: { table, reason } });
  }
}
