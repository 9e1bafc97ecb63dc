import { FleetUsageError, parseFleetOptions } from './options.js';
import { formatReport } from './report.js';
import { runFleetBench } from './run-fleet.js';

/**
 * pnpm bench:fleet [--quick] [--json] [--pdvs N] [--replicas R] [--seconds S]: a simulated PDV fleet against real
 * central-api processes of this tree; see docs/benchmarks.md ("Fleet (bench:fleet)").
 */
async function main(): Promise<void> {
  let options;
  try {
    options = parseFleetOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof FleetUsageError)) throw error;
    process.stderr.write(`bench:fleet: ${error.message}\n`);
    process.exit(64);
  }
  const started = Date.now();
  const progress = (line: string): void => {
    process.stderr.write(`[${((Date.now() - started) / 1_000).toFixed(0).padStart(4)} s] ${line}\n`);
  };
  // Ctrl-C (or SIGTERM) stops the run cleanly: PDVs, replicas and the scratch database go; a second one forces it.
  const abort = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (abort.signal.aborted) process.exit(130);
    progress(`${name}: stopping the fleet, the replicas and the scratch database`);
    abort.abort(`stopped by ${name}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const result = await runFleetBench(options, progress, abort.signal);
  process.stdout.write(`${formatReport(result)}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:fleet: ${(error as Error).message}\n`);
  process.exit(1);
});
