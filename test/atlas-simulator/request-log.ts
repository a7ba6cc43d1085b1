import type { IncomingHttpHeaders } from 'node:http';
import type { AuthKind, Fault, RecordedRequest } from './types.ts';

const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
const SECRET_FIELDS = new Set(['client_secret', 'password', 'privatekey', 'access_token', 'refresh_token', 'token']);

/** What the log keeps of a request: headers without credentials, bodies with secret fields redacted. */
export function recordRequest(entry: {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  operationId: string | undefined;
  auth: AuthKind;
  body: unknown;
  status: number | null;
  headers: IncomingHttpHeaders;
  fault: Fault['kind'] | undefined;
}): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(entry.headers)) {
    if (value !== undefined && !SECRET_HEADERS.has(name))
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    at: entry.at,
    method: entry.method,
    path: entry.path,
    query: entry.query,
    ...(entry.operationId ? { operationId: entry.operationId } : {}),
    auth: entry.auth,
    body: redact(entry.body),
    status: entry.status,
    headers,
    ...(entry.fault ? { fault: entry.fault } : {}),
  };
}

function redact(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(redact);
  if (body === null || typeof body !== 'object') return body;
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [
      key,
      SECRET_FIELDS.has(key.toLowerCase()) ? '[redacted]' : redact(value),
    ]),
  );
}
