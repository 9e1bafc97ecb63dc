import { SyncError, type ProblemDetails } from '@goldpdv/core';

/**
 * Problem types (RFC 9457 `type`), one per way a request can fail. They are URNs rather than URLs so that no
 * client is tempted to fetch them; openapi.yaml lists the same values.
 */
export const PROBLEM_TYPES = {
  invalidRequest: 'urn:goldpdv:problem:invalid-request',
  unauthorized: 'urn:goldpdv:problem:unauthorized',
  notFound: 'urn:goldpdv:problem:not-found',
  methodNotAllowed: 'urn:goldpdv:problem:method-not-allowed',
  payloadTooLarge: 'urn:goldpdv:problem:payload-too-large',
  unsupportedMediaType: 'urn:goldpdv:problem:unsupported-media-type',
  conflict: 'urn:goldpdv:problem:payload-conflict',
  rejected: 'urn:goldpdv:problem:event-rejected',
  retry: 'urn:goldpdv:problem:retry-later',
  unavailable: 'urn:goldpdv:problem:unavailable',
  rateLimited: 'urn:goldpdv:problem:rate-limited',
  internal: 'urn:goldpdv:problem:internal',
} as const;

export interface HttpProblemOptions {
  detail?: string;
  field?: string;
  headers?: Record<string, string>;
  /** Extension members (RFC 9457 section 3.2), e.g. the eventId a problem is about. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/** What a status says the client may do: fix its request (4xx), retry (503, 429), or nothing (other 5xx). */
function kindOf(status: number): SyncError['kind'] {
  if (status === 503 || status === 429) return 'transient';
  return status < 500 ? 'contract' : 'permanent';
}

/**
 * An answer that is an error on purpose. Handlers throw it; the server turns it into an
 * application/problem+json response. Anything else that reaches the server is a fault and is logged.
 * Like core's typed errors it says what may be done next, here read off its status.
 */
export class HttpProblem extends SyncError {
  readonly kind: SyncError['kind'];
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly field: string | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(status: number, type: string, title: string, options: HttpProblemOptions = {}) {
    super(options.detail ?? title, { cause: options.cause, context: { status, type, field: options.field } });
    this.kind = kindOf(status);
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = options.detail;
    this.field = options.field;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  toProblemDetails(): ProblemDetails {
    const body: ProblemDetails = { ...this.extensions, type: this.type, title: this.title, status: this.status };
    if (this.detail !== undefined) body.detail = this.detail;
    if (this.field !== undefined) body.field = this.field;
    return body;
  }
}

export const badRequest = (detail: string, field?: string, extensions?: Record<string, unknown>): HttpProblem =>
  new HttpProblem(400, PROBLEM_TYPES.invalidRequest, 'Invalid request', { detail, field, extensions });

export const payloadTooLarge = (maxBytes: number): HttpProblem =>
  new HttpProblem(413, PROBLEM_TYPES.payloadTooLarge, 'Request body too large', {
    detail: `the request body exceeds ${maxBytes} bytes (after decompression)`,
    extensions: { maxBytes },
  });

export const unsupportedMediaType = (detail: string): HttpProblem =>
  new HttpProblem(415, PROBLEM_TYPES.unsupportedMediaType, 'Unsupported media type', { detail });

/** The database (or another dependency) cannot serve now; the same request can succeed later. */
export const serviceUnavailable = (retryAfterSeconds: number, detail: string, cause?: unknown): HttpProblem =>
  new HttpProblem(503, PROBLEM_TYPES.unavailable, 'Service unavailable', {
    detail,
    headers: { 'retry-after': String(retryAfterSeconds) },
    cause,
  });
