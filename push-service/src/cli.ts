#!/usr/bin/env node
import { z } from 'zod';
import {
  ConfigError,
  databaseEnv,
  databaseSettingsFromEnv,
  exitOnConfigError,
  loadConfig,
  openDatabase,
  runStatusCommand,
  DOCTOR_USAGE,
  runDaemonDoctor,
  SECRET_VARIABLES,
  STATUS_USAGE,
  type Database,
} from '@goldpdv/core';
import { pushEnv, PUSH_SECRET_VARIABLES } from './config.js';
import { pushDoctorChecks } from './doctor/push-doctor.js';
import { createOutboxStore } from './outbox/outbox-store.js';
import { EVENTS_COMMANDS, EVENTS_USAGE, runEventsCommand } from './events/events-cli.js';

const USAGE = `usage: push-service-cli <command>
  dead-letters list [--json]         list dead letters with their reasons
  dead-letters show <event-id>       show one dead letter, payload included
  dead-letters requeue <event-id>    move one dead letter back to the outbox
  dead-letters requeue --all         move every dead letter back to the outbox
  backlog [--json]                   pending, in flight, oldest pending age, dead letters
${EVENTS_USAGE}
${STATUS_USAGE}
${DOCTOR_USAGE}`;

/**
 * The operator's tool for the outbox, run next to the daemon (inside the container: node dist/cli.js ...).
 * It reads the same DB_* variables as the daemon and says what it did in one line per action.
 */
async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const [command, sub, target] = args;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 64;
  }
  // status reads its own settings (the daemons' health URLs too) and reports a PDV without sync tables itself.
  if (command === 'status') return runStatusCommand('push-service-cli', args.slice(1).concat(json ? ['--json'] : []));
  // doctor reads the daemon's whole configuration (CENTRAL_API_*, PDV_ID) and reports a missing schema as lines.
  if (command === 'doctor') {
    return runDaemonDoctor({ program: 'push-service', env: pushEnv, secretVariables: PUSH_SECRET_VARIABLES, checks: pushDoctorChecks }, json ? ['--json'] : []);
  }
  // The declared outbox events: triggers, reconciliation, rebuilds, installation id (events/events-cli.ts).
  if ((EVENTS_COMMANDS as readonly string[]).includes(command)) return runEventsCommand(command, args.slice(1), json);
  const db = await openConfiguredDatabase();
  const outbox = createOutboxStore(db);
  try {
    if (command === 'backlog') return print(await outbox.readBacklog(), json, (b) => `pending ${b.pending}, in flight ${b.inFlight}, oldest pending ${b.oldestPendingAgeSeconds ?? '-'} s, dead letters ${b.deadLetters}`);
    if (command !== 'dead-letters') return usageError(`unknown command "${command}"`);
    if (sub === 'list') {
      const letters = await outbox.listDeadLetters();
      return print(letters, json, (rows) =>
        rows.length === 0 ? 'no dead letters' : rows.map((r) => `${r.eventId}  ${r.eventType}  ${r.streamKey}  dead ${r.deadAt}  ${r.reason}`).join('\n'),
      );
    }
    if (sub === 'show') {
      if (!target) return usageError('dead-letters show needs an event id');
      const letter = await outbox.findDeadLetter(target);
      if (!letter) {
        process.stderr.write(`no dead letter with event id ${target}\n`);
        return 1;
      }
      return print(letter, true, () => '');
    }
    if (sub === 'requeue') {
      if (!target) return usageError('dead-letters requeue needs an event id or --all');
      const requeued = await outbox.requeueDeadLetters(target === '--all' ? null : target);
      if (requeued.length === 0 && target !== '--all') {
        process.stderr.write(`no dead letter with event id ${target}\n`);
        return 1;
      }
      process.stdout.write(`requeued ${requeued.length} event(s)${requeued.length > 0 && requeued.length <= 20 ? `: ${requeued.join(', ')}` : ''}\n`);
      return 0;
    }
    return usageError(`unknown dead-letters command "${sub ?? ''}"`);
  } finally {
    await db.close();
  }
}

async function openConfiguredDatabase(): Promise<Database> {
  try {
    const env = loadConfig(z.object(databaseEnv), { secretVariables: SECRET_VARIABLES });
    return await openDatabase(databaseSettingsFromEnv(env), 'push-service-cli');
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError('push-service-cli', error);
    throw error;
  }
}

function print<T>(value: T, json: boolean, human: (value: T) => string): number {
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : human(value)}\n`);
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(`${message}\n${USAGE}\n`);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`push-service-cli: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
