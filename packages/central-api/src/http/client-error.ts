import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { PROBLEM_TYPES } from './problem.js';

const STATUS_BY_CODE: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
  HPE_HEADERS_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * Requests that Node's HTTP parser itself refuses (garbage bytes, oversized headers, timeouts) never reach a
 * route. They still get a problem+json answer when the socket can take one, then the connection is closed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const [status, reason] = STATUS_BY_CODE[error.code ?? ''] ?? [400, 'Bad Request'];
  // As Node's own default: answer only if nothing was written on this connection yet (no answer under way).
  if (socket.writable && (socket as Socket).bytesWritten === 0) {
    const body = JSON.stringify({ type: status === 400 ? PROBLEM_TYPES.invalidRequest : 'about:blank', title: reason, status });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    return;
  }
  socket.destroy();
}
