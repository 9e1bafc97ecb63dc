#!/usr/bin/env node
import { runStatusCommand, STATUS_USAGE } from '@goldpdv/core';

const USAGE = `usage: pull-service-cli <command>
${STATUS_USAGE}`;

/** The operator's tool next to the pull-service (inside the container: node dist/cli.js status). */
async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === 'status') return runStatusCommand('pull-service-cli', argv.slice(1));
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 64;
  }
  process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`pull-service-cli: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
