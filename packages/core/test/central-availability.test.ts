import { describe, expect, it } from 'vitest';
import { CentralAvailability } from '../src/health/central-availability.js';
import { HealthState } from '../src/health/health-state.js';
import { createMetricsRegistry } from '../src/metrics/registry.js';
import { parseExposition } from './support/prometheus-text.js';

function rig() {
  let now = 1_000_000;
  const lines: { level: string; msg: string }[] = [];
  const log = (level: string) => (_: object, msg: string) => lines.push({ level, msg });
  const health = new HealthState({ maxLoopSilenceMs: 60_000 });
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const central = new CentralAvailability(health, { info: log('info'), warn: log('warn'), error: log('error') }, {
    meanwhile: 'events stay in the outbox',
    unreachableAlertMs: 10 * 60_000,
    authAlertMs: 60_000,
    metrics,
    now: () => now,
  });
  return { central, health, metrics, lines, advance: (ms: number) => (now += ms) };
}

describe('central availability states', () => {
  it('a VPS down for a moment is unavailable; past the alert bound it is unreachable-long, logged once at error', async () => {
    const { central, health, metrics, lines, advance } = rig();
    central.unavailable('request failed: ECONNREFUSED', null);
    expect(central.state).toBe('unavailable');
    advance(9 * 60_000);
    central.unavailable('request failed: ECONNREFUSED');
    expect(central.state).toBe('unavailable');
    advance(2 * 60_000);
    central.unavailable('request failed: ECONNREFUSED');
    central.unavailable('request failed: ECONNREFUSED');
    expect(central.state).toBe('unreachable-long');
    expect(lines.filter((line) => line.level === 'error')).toHaveLength(1);
    // Degraded, never unready: a restart would not bring the VPS back.
    const ready = health.readiness();
    expect(ready.live).toBe(true);
    expect(ready.degraded['central-api']?.detail).toBe('unreachable-long: request failed: ECONNREFUSED');
    expect(ready.info.centralState).toBe('unreachable-long');
    const text = parseExposition(await metrics.metrics());
    expect(text.value('goldpdv_central_state', { state: 'unreachable-long' })).toBe(1);
    expect(text.value('goldpdv_central_state', { state: 'reachable' })).toBe(0);
    central.reachable();
    expect(central.state).toBe('reachable');
    expect(health.readiness().degraded['central-api']).toBeUndefined();
  });

  it('401/403 that persist past their bound are auth-refused, a state apart from unreachable', () => {
    const { central, health, lines, advance } = rig();
    central.unavailable('401 Unauthorized', 401);
    expect(central.state).toBe('unavailable');
    advance(61_000);
    central.unavailable('401 Unauthorized', 401);
    expect(central.state).toBe('auth-refused');
    expect(health.readiness().degraded['central-api']?.detail).toBe('auth-refused: 401 Unauthorized');
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: expect.stringMatching(/^central API keeps refusing this PDV's token/) });
    // A network failure in between resets the auth clock: it is not "the token is refused" any more.
    central.unavailable('request failed: ETIMEDOUT', null);
    expect(central.state).toBe('unavailable');
  });
});
