import { ContractError } from '@goldpdv/core';

/** The table is not served (not tracked, unknown, or excluded because it cannot be served exactly): 404. */
export class UnknownTableError extends ContractError {
  constructor(readonly table: string) {
    const shown = table.slice(0, 140);
    super(`no table named ${JSON.stringify(shown)} is served`, { context: { table: shown } });
  }
}
