import type { IncomingMessage, ServerResponse } from 'node:http';

/** Plain HTTP plumbing: read a request body, parse it after its Content-Type, write an answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as JSON; undefined sends no body. */
  readonly body?: unknown;
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export type ParsedBody = { readonly value: unknown; readonly malformed: boolean };

export function parseBody(text: string, contentType: string | undefined): ParsedBody {
  if (text.length === 0) return { value: undefined, malformed: false };
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/x-www-form-urlencoded') {
    return { value: Object.fromEntries(new URLSearchParams(text)), malformed: false };
  }
  try {
    return { value: JSON.parse(text), malformed: false };
  } catch {
    return { value: undefined, malformed: true };
  }
}

/** Writes the answer with a `Date` header from `now` (the simulated clock: Atlas's own clock, as real Atlas sends it). */
export function send(response: ServerResponse, answer: Answer, now: number): void {
  if (response.destroyed) return;
  const text =
    answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    ...answer.headers,
    Date: new Date(now).toUTCString(),
    'Content-Length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}
