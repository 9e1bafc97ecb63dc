#!/usr/bin/env node
import { UsageError } from './admin/cli-args.js';
import { BACKOFFICE_USAGE, runBackofficeCommand } from './admin/backoffice-command.js';
import { EXIT, type ExitCode } from './admin/exit-codes.js';
import { FLEET_USAGE, runFleetCommand } from './admin/fleet-command.js';
import { INBOX_USAGE, runInboxCommand } from './admin/inbox-command.js';
import { PDV_USAGE, runPdvCommand } from './admin/pdv-command.js';
import { DOCTOR_USAGE, runCentralDoctor } from './doctor/doctor-command.js';

const PROGRAM = 'central-api';

const USAGE = `usage: ${PROGRAM} <command>   (inside the container: node dist/cli.js <command>)
${PDV_USAGE}
${FLEET_USAGE}
${BACKOFFICE_USAGE}
${DOCTOR_USAGE}
${INBOX_USAGE}
It reads the same DB_* variables (and .env) as the API. Exit codes: 0 done, 1 refused or doctor found a failure
(one line says why), 2 invalid configuration, 64 usage.`;

/** The operator's tool of the central side, next to the API (node dist/cli.js ...). */
async function main(argv: readonly string[]): Promise<ExitCode> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    if (command === 'pdv') return await runPdvCommand(PROGRAM, rest);
    if (command === 'fleet') return await runFleetCommand(PROGRAM, rest);
    if (command === 'backoffice') return await runBackofficeCommand(PROGRAM, rest);
    if (command === 'doctor') return await runCentralDoctor(PROGRAM, rest);
    if (command === 'inbox') return await runInboxCommand(PROGRAM, rest);
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${PROGRAM}: ${error.message}\n${USAGE}\n`);
    return EXIT.usage;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${PROGRAM}: ${(error as Error).message}\n`);
    process.exit(EXIT.refused);
  },
);
