import type { FleetResult } from './run-fleet.js';

const show = (value: number | string | null, unit = ''): string => (value === null ? 'n/a' : `${value}${unit}`);

/** The figures for a reader; `--json` adds one JSON object as the last line. */
export function formatReport(result: FleetResult): string {
  return [
    `central-api: ${result.central}; PDVs wait ${result.wait_mode}, ${result.wait_requests} wait requests; rounds ${result.rounds}; wait answers: ${result.wait_pages}`,
    `fleet: ${result.pdvs} PDVs over ${result.replicas} central-api replica(s), ${result.workers} worker process(es), tables: ${result.tables}; setup ${result.setup_seconds} s`,
    `commit -> visible at every PDV that should see it (${result.commits} commits, ${result.expected_sightings} commit x PDV pairs):`,
    `  p50 ${show(result.p50_ms, ' ms')}   p99 ${show(result.p99_ms, ' ms')}   max ${show(result.max_ms, ' ms')}   missed (> 10 s) ${result.missed}`,
    `  each commit's slowest sighting: median ${show(result.commit_max_ms_median, ' ms')}, slowest commits ${result.commit_max_ms_worst.join(', ')} ms; the warm-up commits' (not in the figures): ${result.warmup_commit_max_ms_in_order || 'none'}`,
    `  each commit's slowest sighting in order: ${result.commit_max_ms_in_order}`,
    `  each commit's first sighting in order (central learning of it): ${result.commit_first_ms_in_order}`,
    `errors: ${result.errors} (HTTP ${result.http_errors}, wrong-loja deliveries ${result.wrong_deliveries}, failed commits ${result.failed_commits}; PDVs that failed to start ${result.pdvs_failed_to_start})`,
    `db queries per commit: ${show(result.db_queries_per_commit)} gross, ${show(result.db_queries_per_commit_net)} net   (${result.db_queries_source})`,
    `  of which sync_pdv token lookups ${show(result.db_token_lookups_per_commit)} per commit; serving-path reads (shared page reads + clock ticks, from /metrics) ${show(result.db_serving_reads_per_commit)} per commit`,
    `  per commit that changed a served table (${result.tracked_commits}: the stamped commits and the sale batches, which move estoque): ${show(result.db_queries_per_tracked_commit)} gross, serving-path reads ${show(result.db_serving_reads_per_tracked_commit)}`,
    `db transactions per s: ${result.db_xact_per_s_idle} idle, ${result.db_xact_per_s_commit_phase} in the commit phase`,
    `GET /v1/changes answered per commit: ${show(result.changes_requests_per_commit)} (central-api /metrics)`,
    `central CPU: ${result.central_cpu_ms_per_idle_pdv_per_min} ms per idle PDV per minute (${result.central_cpu_pct_idle}% of a core idle; ${result.central_cpu_pct_commit_phase}% in the commit phase; ${result.central_cpu_us_per_sighting ?? 'n/a'} µs above the idle rate per sighting)`,
    `central RSS ${result.central_rss_mb} MB (all replicas), open fds max ${result.central_open_fds_max} per replica`,
    `harness (workers + this process): ${result.harness_cpu_ms_per_s} ms CPU per s (${result.harness_cpu_us_per_sighting ?? 'n/a'} µs above the idle rate per sighting), ${result.harness_rss_mb} MB RSS, workers' open fds ${result.worker_open_fds}${result.harness_nice > 0 ? `, workers at nice ${result.harness_nice}` : ''}`,
    `shared pages (commit phase + settling): hit ratio ${show(result.shared_page_hit_ratio)} = hits / (hits + reads), reads ${show(result.shared_page_reads)}, hits ${show(result.shared_page_hits)}, quiet (no read) ${show(result.shared_page_quiet)}`,
    `wait rounds (commit phase + settling): worked out ${show(result.wait_rounds_worked)}, handed over from another PDV's ${show(result.wait_rounds_shared)}, changes found quiet from another stream's round ${show(result.wait_rounds_quiet)}`,
    `serving clock ticks: ${show(result.serving_clock_ticks)} (${show(result.serving_clock_ticks_per_s)}/s); long polls waiting at the end of idle: ${show(result.long_polls_waiting_idle)}`,
    `refused: central counted ${show(result.capacity_refused)} x 503 (caps), ${show(result.rate_limited)} x 429 (rate); the PDVs got ${result.pdv_refused_503} x 503, ${result.pdv_refused_429} x 429 with Retry-After (honoured, not errors)`,
    `sales posted ${result.sales_posted}, status reports ${result.status_reports}`,
    `machine: ${result.machine}`,
  ].join('\n');
}
