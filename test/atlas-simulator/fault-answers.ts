import { STATUS_CODES } from 'node:http';
import { DEFAULT_ERROR_CODES, errorBody } from './errors.ts';
import type { Answer } from './http.ts';
import type { Fault } from './types.ts';

/** The answers of the faults that replace a request's handling (status, malformed, huge). */
export function faultAnswer(
  fault: Extract<Fault, { kind: 'status' | 'malformed' | 'huge' }>,
  mediaType: string,
  challenge: () => string,
): Answer {
  if (fault.kind === 'malformed') {
    return {
      status: 200,
      headers: { 'Content-Type': mediaType },
      body: '{"results":[{"id":"5f3a1c2b9d8e7f6a5b4c3d2e","status":"comp',
    };
  }
  if (fault.kind === 'huge') {
    const envelope = '{"results":[],"padding":""}';
    const padding = 'x'.repeat(Math.max(0, fault.bytes - envelope.length));
    return { status: 200, headers: { 'Content-Type': mediaType }, body: `{"results":[],"padding":"${padding}"}` };
  }
  const { status } = fault;
  const retryAfter: Record<string, string> =
    fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
  if (status === 502 || status === 504) {
    // These come from the load balancer in front of Atlas: an HTML page, not the API's envelope.
    const title = `${status} ${STATUS_CODES[status]}`;
    return {
      status,
      headers: { 'Content-Type': 'text/html', ...retryAfter },
      body: `<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>`,
    };
  }
  const errorCode = fault.errorCode ?? DEFAULT_ERROR_CODES[status] ?? 'UNEXPECTED_ERROR';
  return {
    status,
    headers: {
      'Content-Type': 'application/json',
      'X-Error-Code': errorCode,
      ...retryAfter,
      ...(status === 401 ? { 'WWW-Authenticate': challenge() } : {}),
    },
    body: errorBody(status, errorCode, `Injected fault: ${status} ${errorCode}.`),
  };
}
