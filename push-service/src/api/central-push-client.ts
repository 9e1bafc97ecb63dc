import type { HttpClient, HttpResponse } from '@goldpdv/core';
import { toIso, type OutboxRow } from '../outbox/outbox-row.js';

/** Where and as whom this PDV posts its events. */
export interface PushEndpoint {
  /** Base URL of the central API; a batch goes to {baseUrl}/v1/events. */
  baseUrl: string;
  /** This PDV's bearer token. */
  token: string;
  /** Per-event mode: URL with {type}, {eventId} and {streamKey} placeholders. */
  eventUrlTemplate?: string;
}

/** What came back for one request: the answer as it is, or the error that stands for it (network, timeout, abort). */
export type CentralAnswer = ({ kind: 'answered' } & HttpResponse) | { kind: 'unanswered'; error: Error };

/**
 * The push side of the contract on the wire: builds a request (a batch body, or one event's URL and headers),
 * sends it and hands back the answer. What an answer means for the rows is the delivery policy's to say.
 */
export class CentralPushClient {
  private readonly batchUrl: string;

  constructor(
    private readonly http: HttpClient,
    private readonly endpoint: PushEndpoint,
  ) {
    this.batchUrl = `${endpoint.baseUrl.replace(/\/$/, '')}/v1/events`;
  }

  /** POST {baseUrl}/v1/events with every row, in order. */
  postBatch(rows: readonly OutboxRow[], signal?: AbortSignal): Promise<CentralAnswer> {
    const body = JSON.stringify({
      events: rows.map((row) => ({ eventId: row.eventId, type: row.eventType, streamKey: row.streamKey, occurredAt: toIso(row.createdAt), payload: row.payload })),
    });
    return this.post(this.batchUrl, body, this.authHeaders(), signal);
  }

  /** One POST to the event URL template, the payload as the body and the rest of the envelope in headers. */
  postEvent(row: OutboxRow, signal?: AbortSignal): Promise<CentralAnswer> {
    const url = this.endpoint
      .eventUrlTemplate!.replaceAll('{type}', encodeURIComponent(row.eventType))
      .replaceAll('{eventId}', encodeURIComponent(row.eventId))
      .replaceAll('{streamKey}', encodeURIComponent(row.streamKey));
    const headers = { ...this.authHeaders(), 'idempotency-key': row.eventId, 'x-event-type': row.eventType, 'x-stream-key': row.streamKey, 'x-occurred-at': toIso(row.createdAt) };
    return this.post(url, row.payload, headers, signal);
  }

  private async post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<CentralAnswer> {
    try {
      return { kind: 'answered', ...(await this.http.post(url, body, headers, signal)) };
    } catch (error) {
      return { kind: 'unanswered', error: error as Error };
    }
  }

  private authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.endpoint.token}` };
  }
}
