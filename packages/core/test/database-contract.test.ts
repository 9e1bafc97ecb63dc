import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from './support/backends.js';

/** The narrow interface behaves the same on every backend: statements, parameters, transactions. */
describeBackends('database interface', (backend) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await backend.create();
  });
  afterEach(async () => {
    await t.dispose();
  });

  const p = (n: number) => (t.db.dialect === 'mssql' ? `@p${n}` : `$${n}`);
  const createItems = () =>
    t.db.query(
      t.db.dialect === 'mssql'
        ? 'CREATE TABLE items (id int PRIMARY KEY, name nvarchar(50) NOT NULL, price decimal(18,4) NOT NULL)'
        : 'CREATE TABLE items (id int PRIMARY KEY, name varchar(50) NOT NULL, price numeric(18,4) NOT NULL)',
    );

  it('runs statements with positional parameters and reports affected rows', async () => {
    await createItems();
    const insert = await t.db.query(`INSERT INTO items (id, name, price) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [1, 'Pão de queijo', '12.3456']);
    expect(insert.rowCount).toBe(1);
    const { rows } = await t.db.query<{ id: number; name: string; price: string }>(`SELECT id, name, CAST(price AS varchar(30)) AS price FROM items WHERE id = ${p(1)}`, [1]);
    expect(rows).toEqual([{ id: 1, name: 'Pão de queijo', price: '12.3456' }]);
  });

  it('commits a transaction when the work resolves', async () => {
    await createItems();
    const value = await t.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO items (id, name, price) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [1, 'a', '1']);
      await tx.query(`INSERT INTO items (id, name, price) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [2, 'b', '2']);
      return 'done';
    });
    expect(value).toBe('done');
    const { rows } = await t.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM items');
    expect(Number(rows[0]!.n)).toBe(2);
  });

  it('rolls back everything when the work throws, and rethrows the same error', async () => {
    await createItems();
    const failure = new Error('boom');
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(`INSERT INTO items (id, name, price) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [1, 'a', '1']);
        throw failure;
      }),
    ).rejects.toBe(failure);
    const { rows } = await t.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM items');
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('rolls back when a statement inside the transaction fails', async () => {
    await createItems();
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(`INSERT INTO items (id, name, price) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [1, 'a', '1']);
        await tx.query(`INSERT INTO items (id, name, price) VALUES (${p(1)}, ${p(2)}, ${p(3)})`, [1, 'duplicate', '1']);
      }),
    ).rejects.toThrow();
    const { rows } = await t.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM items');
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('runs a transaction at the requested isolation level', async () => {
    if (t.db.dialect === 'mssql') await t.db.executeScript('ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON');
    const level = await t.db.transaction(
      async (tx) => {
        const sql =
          tx.dialect === 'mssql'
            ? 'SELECT transaction_isolation_level AS level FROM sys.dm_exec_sessions WHERE session_id = @@SPID'
            : 'SELECT current_setting(\'transaction_isolation\') AS level';
        return (await tx.query<{ level: string | number }>(sql)).rows[0]!.level;
      },
      { isolation: 'snapshot' },
    );
    // SQL Server reports SNAPSHOT as 5; PostgreSQL runs snapshot isolation as REPEATABLE READ.
    expect(level).toBe(t.db.dialect === 'mssql' ? 5 : 'repeatable read');
  });

  it('puts the isolation level back after a SNAPSHOT transaction, so later statements on the pooled connection read committed', async () => {
    if (t.db.dialect === 'mssql') await t.db.executeScript('ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON');
    const levelSql =
      t.db.dialect === 'mssql'
        ? 'SELECT transaction_isolation_level AS level FROM sys.dm_exec_sessions WHERE session_id = @@SPID'
        : "SELECT current_setting('transaction_isolation') AS level";
    for (let i = 0; i < 3; i++) await t.db.transaction(async (tx) => tx.query('SELECT 1 AS one'), { isolation: 'snapshot' });
    // Several times over: with a pool of 5 the later statement may land on any connection a transaction used.
    for (let i = 0; i < 5; i++) {
      const { rows } = await t.db.query<{ level: string | number }>(levelSql);
      expect(rows[0]!.level).toBe(t.db.dialect === 'mssql' ? 2 : 'read committed');
    }
  });

  it('a dedicated database keeps its session state from one statement to the next, and closes on its own', async () => {
    const session = await t.db.dedicated({ requestTimeoutMs: 60_000 });
    try {
      if (session.dialect === 'mssql') {
        await session.query("EXEC sp_set_session_context @key = N'goldpdv_probe', @value = N'kept'");
        const { rows } = await session.query<{ value: string }>("SELECT CAST(SESSION_CONTEXT(N'goldpdv_probe') AS nvarchar(10)) AS value");
        expect(rows[0]!.value).toBe('kept');
      } else {
        await session.query("SELECT set_config('goldpdv.probe', 'kept', false)");
        const { rows } = await session.query<{ value: string }>("SELECT current_setting('goldpdv.probe') AS value");
        expect(rows[0]!.value).toBe('kept');
      }
    } finally {
      await session.close();
    }
    // The database it came from is still open.
    expect((await t.db.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  });

  it('keeps exact values: bigint and decimals as strings, timestamps with their precision', async () => {
    const sql =
      t.db.dialect === 'mssql'
        ? "SELECT CAST(9007199254740993 AS bigint) AS big, CAST(CAST('123456789012.3456' AS decimal(18,4)) AS varchar(40)) AS money"
        : "SELECT 9007199254740993::bigint AS big, '123456789012.3456'::numeric(18,4) AS money, '2026-01-02 03:04:05.123456'::timestamp AS ts";
    const { rows } = await t.db.query<Record<string, unknown>>(sql);
    expect(rows[0]!.big).toBe('9007199254740993');
    expect(rows[0]!.money).toBe('123456789012.3456');
    if (t.db.dialect === 'postgres') expect(rows[0]!.ts).toBe('2026-01-02 03:04:05.123456');
  });

  it('runs a multi-statement script', async () => {
    await t.db.executeScript('CREATE TABLE a (id int); CREATE TABLE b (id int); INSERT INTO a VALUES (1); INSERT INTO b VALUES (2);');
    const { rows } = await t.db.query<{ total: number | string }>('SELECT (SELECT SUM(id) FROM a) + (SELECT SUM(id) FROM b) AS total');
    expect(Number(rows[0]!.total)).toBe(3);
  });

  it('close() is safe to call twice', async () => {
    await t.db.query('SELECT 1 AS one');
    await t.db.close();
    await expect(t.db.close()).resolves.toBeUndefined();
  });
});
