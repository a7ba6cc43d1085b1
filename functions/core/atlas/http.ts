import type { IncomingHttpHeaders } from 'node:http';
import { Agent } from 'undici';

export interface HttpTimeouts {
  /** TCP and TLS connection setup. */
  readonly connectMs: number;
  /** From sending the request to the end of the response headers. */
  readonly headersMs: number;
  /** Between two chunks of the response body. */
  readonly bodyMs: number;
}

/** undici's defaults are 300 s, past a Lambda's whole budget; Atlas answers in well under a second. */
export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000 };

/** Far above any page of snapshots or restore jobs (500 items); protects memory from a misbehaving proxy. */
export const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

export interface HttpRequest {
  readonly origin: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, exactly as sent on the request line. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Why no response was read. `sent` tells whether the request may have reached the server: false only when the
 * connection was never made, which is what makes retrying a non-idempotent POST safe.
 */
export type TransportFailure = 'connect' | 'tls' | 'timeout' | 'connection' | 'aborted' | 'tooLarge';

export class TransportError extends Error {
  readonly code = 'ATLAS_TRANSPORT_FAILED';
  readonly failure: TransportFailure;
  readonly sent: boolean;
  /** Set when the headers arrived and the body then failed. */
  readonly status: number | undefined;

  constructor(
    failure: TransportFailure,
    sent: boolean,
    message: string,
    options: { status?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = 'TransportError';
    this.failure = failure;
    this.sent = sent;
    this.status = options.status;
  }
}

export interface Transport {
  send(request: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** One keep-alive undici Agent (a pool per origin), passed as the dispatcher of every request: no global state. */
export function createTransport(options: { timeouts: HttpTimeouts; maxResponseBytes: number }): Transport {
  const { timeouts, maxResponseBytes } = options;
  const agent = new Agent({
    connectTimeout: timeouts.connectMs,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
  });

  async function send(request: HttpRequest): Promise<HttpResponse> {
    let response: Awaited<ReturnType<typeof agent.request>>;
    try {
      response = await agent.request({
        origin: request.origin,
        path: request.path,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        signal: request.signal ?? null,
      });
    } catch (error) {
      throw transportError(error, request.signal);
    }
    const { statusCode, headers, body } = response;
    const declaredLength = Number(headers['content-length']);
    if (declaredLength > maxResponseBytes) {
      body.destroy();
      throw tooLarge(statusCode, maxResponseBytes);
    }
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > maxResponseBytes) {
          body.destroy();
          throw tooLarge(statusCode, maxResponseBytes);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof TransportError) throw error;
      throw transportError(error, request.signal, statusCode);
    }
    return { status: statusCode, headers, body: Buffer.concat(chunks) };
  }

  return { send, close: () => agent.close() };
}

function tooLarge(status: number, limit: number): TransportError {
  return new TransportError('tooLarge', true, `response body exceeds ${limit} bytes`, { status });
}

/** Failures that happen before a connection exists: nothing of the request left this process. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/;

function transportError(error: unknown, signal: AbortSignal | undefined, status?: number): TransportError {
  const code = errorCode(error);
  const statusOption = status === undefined ? {} : { status };
  if (signal?.aborted) {
    return new TransportError('aborted', true, 'request aborted', { ...statusOption, cause: error });
  }
  if (code !== undefined && NOT_SENT_CODES.has(code)) {
    const failure = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'timeout' : 'connect';
    return new TransportError(failure, false, `connection failed (${code})`, { cause: error });
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    return new TransportError('tls', false, `TLS handshake failed (${code})`, { cause: error });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TransportError('timeout', true, `timed out waiting for Atlas (${code})`, {
      ...statusOption,
      cause: error,
    });
  }
  return new TransportError('connection', true, `connection lost (${code ?? 'unknown error'})`, {
    ...statusOption,
    cause: error,
  });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Happy Eyeballs (autoSelectFamily) reports every failed address in an AggregateError.
  const first = (error as { errors?: unknown[] }).errors?.[0];
  return first === undefined ? undefined : errorCode(first);
}
