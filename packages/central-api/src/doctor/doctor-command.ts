import { printDoctorReport, runDoctor } from '@goldpdv/core';
import { openAdminDatabase } from '../admin/admin-database.js';
import { parseCliArgs } from '../admin/cli-args.js';
import type { ExitCode } from '../admin/exit-codes.js';
import { centralEnvSchema } from '../config.js';
import { centralDoctorChecks } from './central-doctor.js';

export const DOCTOR_USAGE = `  doctor [--json]                    check what would break syncing on the central side, one line per check
                                     (exit 1 when something would; 2 on a bad configuration)`;

/** `central-api doctor`: reads the API's whole configuration (a bad value exits 2 as the API would), then checks. */
export async function runCentralDoctor(program: string, argv: readonly string[]): Promise<ExitCode> {
  const args = parseCliArgs(argv, [], ['json']);
  const { config, db, settings } = await openAdminDatabase(program, centralEnvSchema, { checkAtStart: false });
  try {
    const report = await runDoctor(centralDoctorChecks(config, db, settings));
    return printDoctorReport(program, report, args.flags.has('json')) as ExitCode;
  } finally {
    await db.close();
  }
}
