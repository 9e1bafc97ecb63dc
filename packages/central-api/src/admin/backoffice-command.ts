import { z } from 'zod';
import { databaseEnv } from '@goldpdv/core';
import { addBackofficeClient, BackofficeClientRefusal, setBackofficeClientActive } from '../backoffice/backoffice-clients.js';
import { BackofficeStore } from '../backoffice/backoffice-store.js';
import { openAdminDatabase, schemaProblem } from './admin-database.js';
import { UsageError } from './cli-args.js';
import { EXIT, refused, type ExitCode } from './exit-codes.js';

export const BACKOFFICE_USAGE = `  backoffice add <name>              register a back-office client (Escritório); prints its token once
  backoffice revoke <name>           refuse its token on the back-office routes
  backoffice activate <name>         accept its token again`;

/** `central-api backoffice ...`: the back office's credentials, apart from the PDVs' tokens. */
export async function runBackofficeCommand(program: string, argv: readonly string[]): Promise<ExitCode> {
  const [subcommand, name, ...extra] = argv;
  if (subcommand === undefined || !['add', 'revoke', 'activate'].includes(subcommand)) {
    throw new UsageError(subcommand === undefined ? 'backoffice needs a subcommand' : `unknown backoffice subcommand "${subcommand}"`);
  }
  if (name === undefined || extra.length > 0) throw new UsageError(`backoffice ${subcommand} takes exactly one client name`);
  const { db } = await openAdminDatabase(program, z.object(databaseEnv), { checkAtStart: true });
  const store = new BackofficeStore(db.dialect);
  try {
    if (subcommand === 'add') {
      const token = await addBackofficeClient(db, store, name);
      process.stdout.write(`BACKOFFICE_TOKEN=${token}\n`);
      process.stderr.write(`registered back-office client ${name}; its token is printed this once (only its sha256 is stored)\n`);
      return EXIT.ok;
    }
    const active = subcommand === 'activate';
    if (!(await setBackofficeClientActive(db, store, name, active))) throw new BackofficeClientRefusal(`no back-office client named "${name}"`);
    process.stdout.write(`${active ? 'activated' : 'revoked'} back-office client ${name}\n`);
    return EXIT.ok;
  } catch (error) {
    return refused(program, error instanceof BackofficeClientRefusal ? error.message : schemaProblem(error, db.dialect), error);
  } finally {
    await db.close();
  }
}
