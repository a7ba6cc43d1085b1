import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';

export interface HttpTimeouts {
  /** TCP and TLS connection setup. */
  readonly connectMs: number;
  /** From sending the request to the end of the response headers. */
  readonly headersMs: number;
  /** Between two chunks of the response body. */
  readonly bodyMs: number;
}

/** Node's own are none (headers: 300 s), past a Lambda's whole budget; Atlas answers in well under a second. */
export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000 };

/** Far above any page of snapshots or restore jobs (500 items); protects memory from a misbehaving proxy. */
export const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

export interface HttpRequest {
  readonly origin: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
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

/**
 * Free keep-alive sockets are closed after this long idle (or the server's `Keep-Alive: timeout` hint less a second,
 * when shorter), as undici's default does: a socket the server already closed is rarely reused.
 */
const IDLE_SOCKET_MS = 4_000;

/**
 * Keep-alive pools (one node:http(s) Agent per protocol, a pool per origin), passed to every request: no global
 * state. Node's own HTTP client, not a library: it is already loaded for the AWS SDK, so the Atlas client adds nothing
 * to the cold start (undici was a third of it, issue 17). Timeouts as undici's: connect (TCP and TLS), headers (from
 * the connection to the end of the response headers), body (between two chunks).
 */
export function createTransport(options: { timeouts: HttpTimeouts; maxResponseBytes: number }): Transport {
  const { timeouts, maxResponseBytes } = options;
  const agents = {
    http: new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: IDLE_SOCKET_MS }),
    https: new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: IDLE_SOCKET_MS }),
  };

  function send(request: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const url = new URL(request.origin);
      const secure = url.protocol === 'https:';
      let status: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const fail = (error: unknown) =>
        finish(() => {
          outgoing.destroy();
          reject(error instanceof TransportError ? error : transportError(error, request.signal, status));
        });
      const within = (ms: number, code: string) => {
        clearTimeout(timer);
        timer = setTimeout(() => fail(Object.assign(new Error(code), { code })), ms);
      };

      const outgoing = (secure ? https : http).request({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? undefined : Number(url.port),
        method: request.method,
        path: request.path,
        headers: request.headers,
        agent: secure ? agents.https : agents.http,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      outgoing.on('socket', (socket) => {
        if (settled) return;
        // A fresh socket is still connecting here (the event comes before any I/O completes): a TLS handshake
        // always, a plain connection unless already made.
        if (outgoing.reusedSocket || (!secure && !socket.connecting)) {
          within(timeouts.headersMs, 'HEADERS_TIMEOUT');
          return;
        }
        within(timeouts.connectMs, 'CONNECT_TIMEOUT');
        socket.once(secure ? 'secureConnect' : 'connect', () => {
          if (!settled) within(timeouts.headersMs, 'HEADERS_TIMEOUT');
        });
      });
      outgoing.on('error', fail);
      outgoing.on('response', (response: IncomingMessage) => {
        status = response.statusCode ?? 0;
        const declaredLength = Number(response.headers['content-length']);
        if (declaredLength > maxResponseBytes) {
          fail(tooLarge(status, maxResponseBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        within(timeouts.bodyMs, 'BODY_TIMEOUT');
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxResponseBytes) {
            fail(tooLarge(status ?? 0, maxResponseBytes));
            return;
          }
          chunks.push(chunk);
          within(timeouts.bodyMs, 'BODY_TIMEOUT');
        });
        response.on('error', fail);
        response.on('end', () =>
          finish(() => resolve({ status: status ?? 0, headers: response.headers, body: Buffer.concat(chunks) })),
        );
        response.on('close', () => {
          if (!response.complete) fail(Object.assign(new Error('response closed early'), { code: 'ECONNRESET' }));
        });
      });
      outgoing.end(request.body);
    });
  }

  return {
    send,
    close: async () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
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
  'CONNECT_TIMEOUT',
]);

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/;

function transportError(error: unknown, signal: AbortSignal | undefined, status?: number): TransportError {
  const code = errorCode(error);
  const statusOption = status === undefined ? {} : { status };
  if (signal?.aborted) {
    return new TransportError('aborted', true, 'request aborted', { ...statusOption, cause: error });
  }
  if (code !== undefined && NOT_SENT_CODES.has(code)) {
    const failure = code === 'CONNECT_TIMEOUT' ? 'timeout' : 'connect';
    return new TransportError(failure, false, `connection failed (${code})`, { cause: error });
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    return new TransportError('tls', false, `TLS handshake failed (${code})`, { cause: error });
  }
  if (code === 'HEADERS_TIMEOUT' || code === 'BODY_TIMEOUT') {
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
