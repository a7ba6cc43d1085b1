import * as z from 'zod';
import { AtlasApiError, type AtlasErrorContext } from './errors.ts';
import type { HttpResponse } from './http.ts';
import { isRetryableStatus, parseRetryAfter } from './retry.ts';

/** Where a call was going: the part of an AtlasApiError known before any answer. */
export type CallContext = Pick<AtlasErrorContext, 'operation' | 'method' | 'path' | 'groupId' | 'clusterName'> & {
  /** False for a POST that creates something: after it may have landed, it is ambiguous, not retried. */
  readonly idempotent: boolean;
};

export function callError(
  context: CallContext,
  details: Omit<AtlasErrorContext, 'operation' | 'method' | 'path' | 'groupId' | 'clusterName'>,
  cause?: unknown,
): AtlasApiError {
  const { idempotent: _idempotent, ...where } = context;
  return new AtlasApiError({ ...where, ...details }, cause === undefined ? undefined : { cause });
}

const apiErrorBody = z.looseObject({
  errorCode: z.string().optional().catch(undefined),
  detail: z.string().optional().catch(undefined),
  reason: z.string().optional().catch(undefined),
});

/** A non-2xx answer as an AtlasApiError: errorCode from the body or the X-Error-Code header, Retry-After kept. */
export function errorFromResponse(context: CallContext, response: HttpResponse, now: number): AtlasApiError {
  const text = response.body.toString('utf8');
  let body: z.infer<typeof apiErrorBody> | undefined;
  let notJson = false;
  try {
    body = apiErrorBody.safeParse(JSON.parse(text)).data;
  } catch {
    notJson = text.length > 0;
  }
  const header = response.headers['x-error-code'];
  const errorCode = body?.errorCode ?? (typeof header === 'string' && header !== '' ? header : undefined);
  const detail = notJson ? `response is not JSON: ${excerpt(response.body)}` : (body?.detail ?? body?.reason);
  const retryAfterSeconds = parseRetryAfter(response.headers['retry-after'], now);
  const retryable = isRetryableStatus(response.status, errorCode);
  // A 5xx to a POST may come after Atlas created the job: only the retryable statuses that refuse
  // before acting (429, 405 during upgrades) leave it unambiguous.
  const ambiguous = !context.idempotent && retryable && response.status >= 500;
  return callError(context, {
    status: response.status,
    retryable,
    ambiguous,
    ...(errorCode === undefined ? {} : { errorCode }),
    ...(detail === undefined ? {} : { detail: detail.slice(0, 500) }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

/**
 * A 2xx body parsed with a lenient schema. A body that is not JSON (cut short or replaced on the way: a proxy's
 * glitch) is retryable, as any failed read; one that lacks a field we rely on is a permanent error naming the
 * field. After a POST either is ambiguous: the resource exists then.
 */
export function parseResponse<T>(schema: z.ZodType<T>, response: HttpResponse, context: CallContext): T {
  const failed = (detail: string, readAgain: boolean) =>
    callError(context, {
      status: response.status,
      retryable: readAgain || !context.idempotent,
      ambiguous: !context.idempotent,
      detail,
    });
  let json: unknown;
  try {
    json = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw failed(`response is not JSON: ${excerpt(response.body)}`, true);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw failed(`unexpected response: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, ' ')}`, false);
  }
  return parsed.data;
}

/** The first 100 bytes, quoted so control characters and line breaks stay on one line. */
export function excerpt(body: Buffer): string {
  const head = body.subarray(0, 100).toString('utf8');
  return JSON.stringify(body.length > 100 ? `${head}…` : head);
}
