export type CredentialsErrorCode = 'CREDENTIALS_INVALID' | 'CREDENTIALS_MISSING' | 'CREDENTIALS_UNAVAILABLE';

/**
 * Credentials could not be read or are malformed. Messages name the source and the field, never a value:
 * no cause is attached when the cause could quote the secret (a JSON SyntaxError quotes its input).
 */
export class CredentialsError extends Error {
  readonly code: CredentialsErrorCode;
  /** Whether reading again later may succeed (throttling, network), as opposed to a misconfiguration. */
  readonly retryable: boolean;

  constructor(code: CredentialsErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CredentialsError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}
