/**
 * Resolves once `condition` holds, checking every few milliseconds; fails after `timeoutMs` naming `what`.
 * Tests wait on what they can observe (a request waiting, a log line written) rather than sleeping and hoping.
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
