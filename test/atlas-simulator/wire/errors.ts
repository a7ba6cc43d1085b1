/**
 * Command errors as the server answers them: `{ ok: 0, errmsg, code, codeName }`, with MongoDB's codes
 * (mongodb/mongo src/mongo/base/error_codes.yml).
 */
import type { Document } from 'bson';

export const ERROR_CODES = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  InvalidLength: 16,
  AuthenticationFailed: 18,
  NamespaceNotFound: 26,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  MechanismUnavailable: 334,
} as const;

export type ErrorCodeName = keyof typeof ERROR_CODES;

export class CommandError extends Error {
  readonly code: number;
  readonly codeName: ErrorCodeName;

  constructor(codeName: ErrorCodeName, message: string) {
    super(message);
    this.name = 'CommandError';
    this.codeName = codeName;
    this.code = ERROR_CODES[codeName];
  }

  toReply(): Document {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName };
  }
}

/** MongoDB's message for a missing privilege (the command's name and target, never its other fields). */
export function notAuthorized(db: string, command: string, target: unknown): CommandError {
  const value = typeof target === 'string' ? `"${target}"` : String(target);
  return new CommandError('Unauthorized', `not authorized on ${db} to execute command { ${command}: ${value} }`);
}
