import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './spawn-daemon.js';

/**
 * A self-signed certificate for 127.0.0.1 and localhost, valid until 2126, made for the TLS tests only:
 * `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost`.
 * No client trusts it unless it is given as the CA.
 */
export const TLS_FIXTURE = {
  certFile: join(REPO_ROOT, 'packages/core/test/fixtures/tls/localhost-cert.pem'),
  keyFile: join(REPO_ROOT, 'packages/core/test/fixtures/tls/localhost-key.pem'),
};

export interface TlsServer {
  url: string;
  /** HTTP requests that got through the TLS handshake and were answered. */
  requests(): number;
  stop(): Promise<void>;
}

/** An HTTPS server on a loopback port that answers every request with `status` and counts them. */
export async function startTlsServer(status = 503, body = '{"title":"maintenance"}'): Promise<TlsServer> {
  let requests = 0;
  const server = createServer({ cert: readFileSync(TLS_FIXTURE.certFile), key: readFileSync(TLS_FIXTURE.keyFile) }, (request, response) => {
    requests += 1;
    request.resume();
    response.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let stopping: Promise<void> | undefined;
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return stopping;
    },
  };
}
