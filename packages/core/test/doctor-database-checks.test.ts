import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compatibilityCheck, databaseAnswersCheck, keyCollationsCheck, permissionsCheck, schemaChangesCheck } from '../src/doctor/database-checks.js';
import { triggersCheck } from '../src/doctor/trigger-checks.js';
import type { CheckResult, DoctorCheck } from '../src/doctor/doctor-check.js';
import { runDoctor } from '../src/doctor/run-doctor.js';
import { createPostgresDatabase } from '../src/db/postgres.js';
import type { Database, Queryable } from '../src/db/types.js';
import { describeBackends, type TestDatabase } from './support/backends.js';

const asList = async (check: DoctorCheck): Promise<CheckResult[]> => {
  const outcome = await check.run();
  return Array.isArray(outcome) ? outcome : [outcome];
};

/** The checks, run as another login would run them: inside a transaction under SET LOCAL ROLE. */
function asRole(tx: Queryable): Database {
  return { ...tx, dialect: tx.dialect, query: (sql, params) => tx.query(sql, params) } as Database;
}

describeBackends('doctor: database checks', (backend) => {
  let database: TestDatabase;
  let db: Database;
  let role: string;
  beforeEach(async () => {
    database = await backend.create();
    db = database.db;
    role = `gp_doctor_${randomBytes(4).toString('hex')}`;
    await db.executeScript(`
      CREATE TABLE sync_outbox (outbox_id bigint PRIMARY KEY, payload text);
      CREATE TABLE venda (venda_id integer PRIMARY KEY);
      CREATE TABLE produto_codigo (codigo varchar(20) PRIMARY KEY);
      CREATE FUNCTION sync_outbox_venda_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
      CREATE TRIGGER sync_outbox_venda AFTER INSERT ON venda FOR EACH ROW EXECUTE FUNCTION sync_outbox_venda_fn();
      CREATE ROLE ${role};
      GRANT SELECT ON sync_outbox TO ${role};`);
  });
  afterEach(async () => {
    // Roles belong to the server, not to the test database.
    await db.executeScript(`REVOKE ALL ON sync_outbox FROM ${role}; DROP ROLE IF EXISTS ${role};`);
    await database.dispose();
  });

  it('the database answers, and its version is one the project runs on', async () => {
    const report = await runDoctor([databaseAnswersCheck(db, database.settings), compatibilityCheck(db, database.settings)]);
    expect(report.lines.map((line) => line.status)).toEqual(['pass', 'pass']);
    expect(report.lines[1]!.detail).toMatch(/PostgreSQL 1\d/);
  });

  it('permissions: every one granted is one line; a missing one fails with the GRANT that fixes it; a missing table fails with what creates it', async () => {
    const needs = [
      { kind: 'table' as const, name: '"sync_outbox"', permissions: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], why: 'claims' },
      { kind: 'table' as const, name: '"sync_dead_letter"', permissions: ['SELECT'], why: 'dead letters' },
    ];
    const owner = await asList(permissionsCheck(db, () => needs.slice(0, 1), 'apply the PDV schema'));
    expect(owner).toEqual([{ status: 'pass', detail: 'every permission granted on 1 object(s): sync_outbox', subject: undefined }]);

    const limited = await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL ROLE ${role}`);
      return asList(permissionsCheck(asRole(tx), () => needs, 'apply the PDV schema'));
    });
    expect(limited).toEqual([
      { status: 'fail', subject: 'sync_outbox', detail: 'INSERT, UPDATE, DELETE not granted to this login (claims)', fix: 'GRANT INSERT, UPDATE, DELETE ON "sync_outbox" TO <user>' },
      { status: 'fail', subject: 'sync_dead_letter', detail: 'sync_dead_letter does not exist (dead letters)', fix: 'apply the PDV schema' },
    ]);
  });

  it('schema changes: warns when DB_SCHEMA_AUTO_APPLY is on and the login may not create objects', async () => {
    expect((await asList(schemaChangesCheck(db, true)))[0]!.status).toBe('pass');
    const limited = await db.transaction(async (tx) => {
      await tx.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
      await tx.query(`SET LOCAL ROLE ${role}`);
      return asList(schemaChangesCheck(asRole(tx), true));
    });
    expect(limited[0]).toMatchObject({ status: 'warn', detail: expect.stringMatching(/may not create or alter objects: the next release's new schema scripts will fail at start/) });
  });

  it('outbox triggers: enabled ones pass, a disabled one fails with the statement that enables it, a missing one fails', async () => {
    const check = (expected: { table: string; trigger: string }[]) =>
      asList(triggersCheck(db, { expected: () => expected, ownedPrefix: 'sync_outbox_', installFix: 'apply 0005_outbox_producer.sql' }));
    expect(await check([{ table: 'venda', trigger: 'sync_outbox_venda' }])).toEqual([{ status: 'pass', detail: '1 installed and enabled: venda.sync_outbox_venda', subject: undefined }]);

    await db.query('ALTER TABLE venda DISABLE TRIGGER sync_outbox_venda');
    const disabled = await check([{ table: 'venda', trigger: 'sync_outbox_venda' }, { table: 'venda_item', trigger: 'sync_outbox_venda_item' }]);
    expect(disabled).toEqual([
      { status: 'fail', subject: 'venda.sync_outbox_venda', detail: 'installed but DISABLED: every sale since it was disabled is missing from the outbox', fix: 'ALTER TABLE public.venda ENABLE TRIGGER sync_outbox_venda; then look for the sales it missed (reconciliation)' },
      { status: 'fail', subject: 'venda_item.sync_outbox_venda_item', detail: 'trigger sync_outbox_venda_item is missing on venda_item: sales written there never reach the outbox', fix: 'apply 0005_outbox_producer.sql' },
    ]);
    // Not in the expected list, still the sync layer's (by its name): a disabled one fails too.
    expect((await check([]))[0]).toMatchObject({ status: 'fail', subject: 'venda.sync_outbox_venda' });

    await db.query('DROP TRIGGER sync_outbox_venda ON venda');
    expect(await check([])).toEqual([{ status: 'fail', detail: 'no trigger named sync_outbox_* in this database: no sale reaches the outbox unless the POS writes it itself', fix: 'apply 0005_outbox_producer.sql' }]);
  });

  it('key collations: a text key compared exactly passes; a case-insensitive (nondeterministic) collation warns', async () => {
    expect(await asList(keyCollationsCheck(db, () => ['"produto_codigo"'], 'pulled tables'))).toEqual([
      { status: 'pass', detail: 'the text key columns of the pulled tables (1) compare exactly', subject: undefined },
    ]);
    try {
      await db.executeScript(`CREATE COLLATION gp_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`);
    } catch {
      return; // built without ICU (PGlite): no nondeterministic collation can exist there, so none can merge keys
    }
    await db.executeScript('CREATE TABLE cliente_email (email varchar(100) COLLATE gp_ci PRIMARY KEY)');
    const lines = await asList(keyCollationsCheck(db, () => ['"produto_codigo"', '"cliente_email"'], 'pulled tables'));
    expect(lines).toEqual([expect.objectContaining({ status: 'warn', subject: 'cliente_email.email', detail: expect.stringMatching(/^key column email uses gp_ci, which compares case- or accent-insensitively/) })]);
  });
}, ['pglite', 'postgres']);

describe('doctor: a database that does not answer', () => {
  it('fails the first line, and the checks that need it are skipped, not failed again', async () => {
    const settings = { kind: 'postgres' as const, connectionString: 'postgres://nobody@127.0.0.1:1/none', poolMax: 1, connectTimeoutMs: 1_000, requestTimeoutMs: 2_000 };
    const db = createPostgresDatabase(settings, 'doctor-test');
    try {
      const report = await runDoctor([databaseAnswersCheck(db, settings), compatibilityCheck(db, settings), schemaChangesCheck(db, true)]);
      expect(report.lines.map((line) => [line.check, line.status])).toEqual([
        ['database answers', 'fail'],
        ['compatibility level', 'skip'],
        ['schema changes', 'skip'],
      ]);
      expect(report.lines[0]!.detail).toMatch(/did not answer: .*ECONNREFUSED/);
      expect(report.broken).toBe(true);
    } finally {
      await db.close();
    }
  });
});
