import * as z from 'zod';
import { AtlasApiError, type AtlasErrorContext, IP_ACCESS_LIST_ERROR_CODES, PERMISSION_ERROR_CODES } from './errors.ts';
import type { HttpResponse } from './http.ts';
import { isRetryableStatus, parseRetryAfter, retryAfterFromBody } from './retry.ts';

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
  parameters: z.array(z.unknown()).optional().catch(undefined),
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
  // Node gives a header it does not know as one string (repeats joined with a comma); an empty one is no code.
  const headerCode = String(response.headers['x-error-code'] ?? '');
  const errorCode = body?.errorCode ?? (headerCode === '' ? undefined : headerCode);
  const atlasDetail = notJson ? `response is not JSON: ${excerpt(response.body)}` : (body?.detail ?? body?.reason);
  const detail = withAdvice(atlasDetail?.slice(0, 500), response.status, errorCode, context);
  const retryAfterSeconds =
    parseRetryAfter(response.headers['retry-after'], now) ??
    retryAfterFromBody(response.status, { errorCode, detail: body?.detail, parameters: body?.parameters });
  const retryable = isRetryableStatus(response.status, errorCode);
  // A 5xx to a POST may come after Atlas created the job: only the retryable statuses that refuse
  // before acting (429, 405 during upgrades) leave it unambiguous.
  const ambiguous = !context.idempotent && retryable && response.status >= 500;
  return callError(context, {
    status: response.status,
    retryable,
    ambiguous,
    // Stryker disable next-line ConditionalExpression: equivalent, AtlasApiError reads an absent and an undefined field alike
    ...(errorCode === undefined ? {} : { errorCode }),
    // Stryker disable next-line ConditionalExpression: equivalent, AtlasApiError reads an absent and an undefined field alike
    ...(detail === undefined ? {} : { detail }),
    // Stryker disable next-line ConditionalExpression: equivalent, AtlasApiError reads an absent and an undefined field alike
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

/**
 * What to do about refusals only a person can fix, after Atlas's own words: credentials Atlas did not accept,
 * credentials without access to the project, or a machine off their API access list. Names the project, never a
 * credential.
 */
function withAdvice(
  detail: string | undefined,
  status: number,
  errorCode: string | undefined,
  context: CallContext,
): string | undefined {
  const project = context.groupId === undefined ? 'the project' : `project ${context.groupId}`;
  let advice: string | undefined;
  if (
    status === 401 &&
    // Stryker disable next-line ConditionalExpression: equivalent, the set has no undefined code either
    errorCode !== undefined &&
    PERMISSION_ERROR_CODES.has(errorCode)
  ) {
    advice =
      `the credentials are valid but not allowed to ${context.operation} in ${project}: ` +
      'add the service account or API key to the project with a role that allows it (Project Backup Manager or Project Owner)';
  } else if (status === 401) {
    // Atlas answers bad credentials with a generic body (errorCode UNEXPECTED_ERROR on its digest challenge).
    advice = 'Atlas did not accept the credentials: the API key or service-account secret is wrong, revoked or rotated';
  } else if (
    status === 403 &&
    // Stryker disable next-line ConditionalExpression: equivalent, the set has no undefined code either
    errorCode !== undefined &&
    IP_ACCESS_LIST_ERROR_CODES.has(errorCode)
  ) {
    advice =
      "this machine's public IP address is not on the API access list of the service account or API key: " +
      'add it (or its CIDR range, or the NAT gateway address of the Lambda) to that access list in Atlas';
  }
  if (advice === undefined) return detail;
  return detail === undefined ? advice : `${detail} (${advice})`;
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
