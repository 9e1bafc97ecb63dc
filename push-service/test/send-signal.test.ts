import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sendSignal } from '../src/delivery/send-signal.js';

describe('sendSignal', () => {
  it('fires when the send budget is spent, and says so', async () => {
    const stop = new AbortController();
    const send = sendSignal(stop.signal, 1_000, 50);
    await new Promise((r) => setTimeout(r, 120));
    expect(send.signal.aborted).toBe(true);
    expect(send.leaseRanOut()).toBe(true);
    expect(String((send.signal.reason as Error).message)).toContain('lease budget of 50 ms');
    send.dispose();
  });

  it('fires the grace period after a stop, and then it is not the lease that ran out', async () => {
    const stop = new AbortController();
    const send = sendSignal(stop.signal, 50, 10_000);
    stop.abort(new Error('SIGTERM'));
    expect(send.signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 120));
    expect(send.signal.aborted).toBe(true);
    expect(send.leaseRanOut()).toBe(false);
    expect((send.signal.reason as Error).message).toBe('SIGTERM');
    send.dispose();
  });

  it('leaves nothing behind on the long-lived stop signal once disposed, and never fires after', async () => {
    const stop = new AbortController();
    for (let i = 0; i < 1_000; i++) sendSignal(stop.signal, 10, 10).dispose();
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    const kept = sendSignal(stop.signal, 10, 10);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    kept.dispose();
    await new Promise((r) => setTimeout(r, 50));
    expect(kept.signal.aborted).toBe(false);
  });
});
