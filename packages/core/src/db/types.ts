/**
 * The one narrow interface every storage dialect implements: run a statement, run a function in a
 * transaction. Sync operations (claim outbox rows, apply a delta page...) are written once per dialect on
 * top of it, each in its own file, so that the SQL for one job is found by its name.
 */
export type DialectName = 'mssql' | 'postgres';

/** SNAPSHOT maps to REPEATABLE READ on PostgreSQL, which is snapshot isolation there. */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable' | 'snapshot';

export interface QueryResult<Row> {
  rows: Row[];
  /** Rows affected by the last statement (INSERT/UPDATE/DELETE/MERGE); 0 when the driver does not say. */
  rowCount: number;
}

/**
 * Positional parameters. PostgreSQL statements refer to them as $1..$n, SQL Server statements as @p1..@pn,
 * so that a statement is written in its dialect's own syntax and still takes the same array.
 */
export type SqlParams = readonly unknown[];

export interface Queryable {
  readonly dialect: DialectName;
  query<Row = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<QueryResult<Row>>;
  /** Runs a multi-statement script with no parameters (schema scripts, one T-SQL batch). */
  executeScript(sql: string): Promise<void>;
}

export interface TransactionOptions {
  isolation?: IsolationLevel;
}

export interface Database extends Queryable {
  /** Runs `work` in one transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * A Database of its own on one connection, with its own statement timeout, for long jobs that keep state in
   * their session (the schema runner holds a session lock for its whole run). Close it when done.
   */
  dedicated(options: DedicatedOptions): Promise<Database>;
  /** Closes the pool. Safe to call twice. */
  close(): Promise<void>;
}

export interface DedicatedOptions {
  /** Bound of one statement on the dedicated connection (a migration batch can take minutes). */
  requestTimeoutMs: number;
}
