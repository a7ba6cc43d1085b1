import { STATUS_CODES } from 'node:http';

/** The envelope every Atlas error answers with (schema ApiError); the code is repeated in `X-Error-Code`. */
export interface ApiErrorBody {
  readonly error: number;
  readonly errorCode: string;
  readonly detail: string;
  readonly reason: string;
  readonly parameters: readonly unknown[];
}

/** An Atlas error answer, thrown by any stage of the simulator's pipeline and rendered by the server. */
export class AtlasError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly parameters: readonly unknown[];
  readonly headers: Readonly<Record<string, string>>;
  /** The shorter answer Atlas gives some 401s: no `parameters` in the body and no `X-Error-Code` header. */
  readonly minimal: boolean;

  constructor(
    status: number,
    errorCode: string,
    detail: string,
    options: { parameters?: readonly unknown[]; headers?: Record<string, string>; minimal?: boolean } = {},
  ) {
    super(detail);
    this.name = 'AtlasError';
    this.status = status;
    this.errorCode = errorCode;
    this.parameters = options.parameters ?? [];
    this.headers = options.headers ?? {};
    this.minimal = options.minimal ?? false;
  }

  get body(): ApiErrorBody | Omit<ApiErrorBody, 'parameters'> {
    const body = errorBody(this.status, this.errorCode, this.message, this.parameters);
    if (!this.minimal) return body;
    const { parameters: _parameters, ...rest } = body;
    return rest;
  }
}

export function errorBody(
  status: number,
  errorCode: string,
  detail: string,
  parameters: readonly unknown[] = [],
): ApiErrorBody {
  return { error: status, errorCode, detail, reason: STATUS_CODES[status] ?? 'Error', parameters };
}

/** Error codes Atlas answers when a status is injected without one. */
export const DEFAULT_ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'INVALID_ATTRIBUTE',
  401: 'UNAUTHORIZED',
  403: 'IP_ADDRESS_NOT_ON_WHITELIST',
  404: 'RESOURCE_NOT_FOUND',
  405: 'WRITES_NOT_ALLOWED_DURING_APP_UPGRADES',
  409: 'CONFLICT',
  429: 'RATE_LIMITED_TOKEN_BUCKET',
  500: 'UNEXPECTED_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};
