import type { Database, Queryable } from '@goldpdv/core';

/**
 * A real database with a window on it: every statement is recorded, and `beforeStatement` may throw to stand
 * for a process dying at that point (the transaction around it then rolls back, as it would on a crash).
 * It wraps the real adapter; nothing of the code under test is replaced.
 */
export interface ObservedDatabase extends Database {
  statements: string[];
  beforeStatement: ((sql: string, params: readonly unknown[]) => void) | null;
}

export function observe(inner: Database): ObservedDatabase {
  const observed: ObservedDatabase = {
    statements: [],
    beforeStatement: null,
    dialect: inner.dialect,
    query(sql, params) {
      observed.statements.push(sql);
      observed.beforeStatement?.(sql, params ?? []);
      return inner.query(sql, params);
    },
    executeScript: (sql) => inner.executeScript(sql),
    transaction(work, options) {
      return inner.transaction((tx) => work(wrap(tx)), options);
    },
    dedicated: (options) => inner.dedicated(options),
    close: () => inner.close(),
  };
  const wrap = (tx: Queryable): Queryable => ({
    dialect: tx.dialect,
    query(sql, params) {
      observed.statements.push(sql);
      observed.beforeStatement?.(sql, params ?? []);
      return tx.query(sql, params);
    },
    executeScript: (sql) => tx.executeScript(sql),
  });
  return observed;
}
