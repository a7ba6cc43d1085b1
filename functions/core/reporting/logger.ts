import { Logger } from '@aws-lambda-powertools/logger';
import { originalStack } from './source-maps.ts';

/** Keys whose values never reach a log line, whoever passes them (a download URL is a bearer credential too). */
const SECRET_KEY =
  /secret|password|passwd|private.?key|authorization|bearer|access.?token|delivery.?url|download.?url/i;

export const REDACTED = '[redacted]';

/**
 * JSON replacer for Powertools Logger: masks secret-looking keys at any depth, and maps the frames of a logged stack
 * to the sources (the bundle's source map is read on the first one, see source-maps.ts).
 */
export function redactSecrets(key: string, value: unknown): unknown {
  if (key === 'stack' && typeof value === 'string') return originalStack(value);
  return key !== '' && SECRET_KEY.test(key) && value !== undefined && value !== null ? REDACTED : value;
}

/** The service's Logger: JSON lines, service name from POWERTOOLS_SERVICE_NAME, secrets masked by key. */
export function createLogger(options: { serviceName?: string; logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' } = {}) {
  return new Logger({
    serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'atlas-restore-orchestrator',
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    jsonReplacerFn: redactSecrets,
  });
}
