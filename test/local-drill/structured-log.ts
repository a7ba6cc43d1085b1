import { redactSecrets } from '../../functions/core/reporting/logger.ts';
import type { Log } from '../../functions/core/workflow/ports.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** One log line as Powertools Logger prints it: level, message, timestamp, service, then the attributes. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  readonly timestamp: string;
  readonly service: string;
  readonly [attribute: string]: unknown;
}

/**
 * The handler's Log port writing Powertools-shaped JSON records to `sink` instead of stdout, so the drill can read
 * the same structured lines a Lambda would send to CloudWatch (secrets masked by the Logger's own replacer).
 */
export function createStructuredLog(options: {
  readonly service: string;
  readonly sink: (record: LogRecord) => void;
}): Log {
  const write =
    (level: LogLevel) =>
    (message: string, ...attributes: Record<string, unknown>[]) => {
      const record = { level, message, timestamp: new Date().toISOString(), service: options.service };
      const merged = Object.assign(record, ...attributes.map(plainErrors));
      options.sink(JSON.parse(JSON.stringify(merged, redactSecrets)) as LogRecord);
    };
  return { debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

/** Errors serialize to `{}`; keep what Powertools keeps: name and message (never the stack, it is noise here). */
function plainErrors(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(attributes).map(([key, value]) => [
      key,
      value instanceof Error ? { name: value.name, message: value.message } : value,
    ]),
  );
}
