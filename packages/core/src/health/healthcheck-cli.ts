// Built-in modules only: Docker runs this every few seconds, so it must start fast and stay tiny.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

// A readiness answer is a few hundred bytes; anything far bigger is not ours and is not worth reading.
const MAX_BODY_BYTES = 64 * 1024;

/** Names of the failing components in a readiness answer, to say in one line why the check failed. */
function failingComponents(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { live?: unknown; components?: Record<string, { ok?: unknown }> };
    const failing = Object.entries(parsed.components ?? {})
      .filter(([, status]) => status?.ok !== true)
      .map(([name]) => name);
    return parsed.live === false ? ['loop', ...failing] : failing;
  } catch {
    return [];
  }
}

/**
 * GETs a readiness URL and resolves the exit code Docker's HEALTHCHECK expects: 0 on HTTP 200, 1 on anything
 * else (other status, timeout, connection refused, bad URL). Never rejects. Prints one line.
 */
export function runHealthcheck(url: string, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve) => {
    let target: URL | undefined;
    try {
      target = new URL(url);
    } catch {
      target = undefined;
    }
    if (target === undefined || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
      process.stderr.write(`unhealthy: invalid health URL ${JSON.stringify(url)}\n`);
      resolve(1);
      return;
    }
    let settled = false;
    const finish = (code: number, line: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      (code === 0 ? process.stdout : process.stderr).write(`${line}\n`);
      resolve(code);
    };
    // One deadline for the whole exchange: a server that accepts and never answers must still fail.
    const timer = setTimeout(() => finish(1, `unhealthy: no answer from ${url} within ${timeoutMs} ms`), timeoutMs);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    // agent: false so no pooled keep-alive socket keeps this short-lived process running.
    const req = send(target, { method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY_BYTES) body += chunk;
      });
      res.on('error', (error) => finish(1, `unhealthy: ${error.message} while reading ${url}`));
      res.on('end', () => {
        if (res.statusCode === 200) {
          finish(0, `healthy: ${url}`);
          return;
        }
        const failing = failingComponents(body);
        const why = failing.length > 0 ? ` (failing: ${failing.join(', ')})` : '';
        finish(1, `unhealthy: HTTP ${res.statusCode ?? '?'} from ${url}${why}`);
      });
    });
    req.on('error', (error) => finish(1, `unhealthy: ${error.message} (${url})`));
    req.end();
  });
}
