/**
 * Contract table names, the `table` a PDV asks for: plain lowercase identifiers. The central tables behind them
 * may have any name (SERVED_TABLES_FILE maps one to the other); this narrower rule keeps the names the PDVs and
 * their operators see simple, and lets a request's `table` be checked before anything is looked up.
 */
export const SERVED_NAME = /^[a-z_][a-z0-9_]*$/;

export function isServedName(name: string): boolean {
  return SERVED_NAME.test(name) && name.length <= 128;
}
