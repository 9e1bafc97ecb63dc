import http from 'node:http';
import { gzipSync } from 'node:zlib';

/**
 * The floor's server: it holds every long poll and, on each commit, answers them all with one body made once
 * (the same gzipped JSON for every PDV). No authentication, no routing, no database, no per-PDV text: only what
 * Node's HTTP server must do per woken long poll.
 */
const waiting: http.ServerResponse[] = [];
/** --stream: answers that stay open, one line per commit (no request per wake; no gzip, which would need a compressor per PDV). */
const streams: http.ServerResponse[] = [];
let body: Buffer = Buffer.alloc(0);

const server = http.createServer((req, res) => {
  // The request is read (its headers as large as pull-service's), and the answer waits for the next commit.
  req.resume();
  if (req.url?.includes('stream=1')) {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    streams.push(res);
  } else waiting.push(res);
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 0;

process.on('message', (message: { type: 'commit'; at: number; padding: string } | { type: 'stop' }) => {
  if (message.type === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
    return;
  }
  const text = JSON.stringify({ changed: ['produto'], committedAt: message.at, padding: message.padding });
  const line = `${text}\n`;
  for (const res of streams) if (!res.destroyed) res.write(line);
  body = gzipSync(text, { level: 6 });
  const woken = waiting.splice(0);
  for (const res of woken) {
    if (res.destroyed) continue;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip', 'content-length': body.length, 'cache-control': 'no-store', vary: 'Accept-Encoding' });
    res.end(body);
  }
});

server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (server.address() as { port: number }).port });
});
