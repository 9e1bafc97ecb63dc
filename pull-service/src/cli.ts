#!/usr/bin/env node
import { z } from 'zod';
import {
  centralTargetOf,
  ConfigError,
  daemonEnv,
  databaseSettingsFromEnv,
  DOCTOR_USAGE,
  exitOnConfigError,
  loadConfig,
  openDatabase,
  probeCentral,
  runDaemonDoctor,
  runStatusCommand,
  SECRET_VARIABLES,
  STATUS_USAGE,
  tablesResponseSchema,
} from '@goldpdv/core';
import { pullEnv, PULL_SECRET_VARIABLES } from './config.js';
import { pullStoresFor } from './db/pull-stores.js';
import { pullDoctorChecks } from './doctor/pull-doctor.js';

const PROGRAM = 'pull-service-cli';

const USAGE = `usage: ${PROGRAM} <command>
${STATUS_USAGE}
${DOCTOR_USAGE}
  resnapshot <table>... | --filtered  load tables again from a snapshot at the next pull (--filtered: every table
                                     central filters by loja, e.g. after central-api pdv move); stop pull first`;

/** The operator's tool next to the pull-service (inside the container: node dist/cli.js status). */
async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === 'status') return runStatusCommand(PROGRAM, argv.slice(1));
  if (command === 'doctor') {
    return runDaemonDoctor({ program: 'pull-service', env: pullEnv, secretVariables: PULL_SECRET_VARIABLES, checks: pullDoctorChecks }, argv.slice(1));
  }
  if (command === 'resnapshot') return resnapshot(argv.slice(1));
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 64;
  }
  process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
  return 64;
}

/**
 * `resnapshot`: puts tables' checkpoints back to snapshot mode (the statement pull-service itself runs on a 410),
 * so that the next pull loads every row of them again. After a PDV moved to another loja its filtered tables hold
 * the old loja's rows and miss the new one's unchanged rows; `--filtered` asks central which tables those are.
 * Exit 0 done, 1 refused (an unknown table, central not answering), 2 bad configuration, 64 usage.
 */
async function resnapshot(args: string[]): Promise<number> {
  const filtered = args.includes('--filtered');
  const named = args.filter((arg) => arg !== '--filtered');
  if (filtered === named.length > 0) return usage('resnapshot takes table names or --filtered');
  let config;
  try {
    config = loadConfig(z.object({ ...daemonEnv, ...pullEnv }), { secretVariables: new Set([...SECRET_VARIABLES, ...PULL_SECRET_VARIABLES]) });
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(PROGRAM, error);
    throw error;
  }
  let tables = named;
  if (filtered) {
    const timeouts = { connectTimeoutMs: config.PULL_CONNECT_TIMEOUT_MS, responseTimeoutMs: config.PULL_RESPONSE_TIMEOUT_MS };
    const answer = await probeCentral(centralTargetOf(config, timeouts), 'v1/tables');
    const list = answer.kind === 'answered' && answer.response.status === 200 ? tablesResponseSchema.safeParse(jsonOrNull(answer.response.body)) : null;
    if (!list?.success) {
      const why = answer.kind === 'answered' ? `answered ${answer.response.status}` : `did not answer (${answer.reason})`;
      return refuse(`the central API ${why} to GET /v1/tables, so the filtered tables are unknown; name them instead (resnapshot preco_loja ...) or run doctor`);
    }
    tables = list.data.tables.filter((table) => table.filtered).map((table) => table.table);
  }
  const db = await openDatabase(databaseSettingsFromEnv(config), PROGRAM);
  try {
    const checkpoints = pullStoresFor(db.dialect).checkpoints;
    const known = await checkpoints.readAll(db);
    const unknown = tables.filter((table) => !known.has(table));
    if (unknown.length > 0 && !filtered) return refuse(`no checkpoint for ${unknown.join(', ')} (pulled tables: ${[...known.keys()].join(', ') || 'none yet'}); nothing changed`);
    const reset = tables.filter((table) => known.has(table));
    for (const table of reset) await checkpoints.startSnapshot(db, table);
    const notYet = tables.filter((table) => !known.has(table));
    const later = notYet.length > 0 ? `${notYet.join(', ')} never pulled yet: the first pull loads ${notYet.length > 1 ? 'them' : 'it'} from a snapshot anyway` : '';
    if (reset.length === 0) process.stdout.write(`${tables.length === 0 ? 'central filters no table by loja' : later}; nothing changed\n`);
    else process.stdout.write(`the next pull loads ${reset.join(', ')} again from a snapshot${later ? `; ${later}` : ''} (then: docker compose start pull)\n`);
    return 0;
  } finally {
    await db.close();
  }
}

function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function refuse(line: string): number {
  process.stderr.write(`${PROGRAM}: ${line}\n`);
  return 1;
}

function usage(line: string): number {
  process.stderr.write(`${PROGRAM}: ${line}\n${USAGE}\n`);
  return 64;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${PROGRAM}: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
