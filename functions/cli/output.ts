import { AtlasApiError } from '../core/atlas/errors.ts';
import { UsageError } from './command.ts';

/** Machine output: one JSON document on stdout. */
export function writeJson(stdout: NodeJS.WritableStream, value: unknown): void {
  stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export type Cell = string | number | boolean | undefined | null;

/** A plain-text table with a header row; empty cells show as `-`. */
export function writeTable(stdout: NodeJS.WritableStream, columns: readonly string[], rows: readonly Cell[][]): void {
  const text = rows.map((row) => columns.map((_, index) => cellText(row[index])));
  const widths = columns.map((column, index) => Math.max(column.length, ...text.map((row) => row[index]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  stdout.write(`${[line(columns), ...text.map(line)].join('\n')}\n`);
}

/** Label and value lines, for one resource. */
export function writeFields(stdout: NodeJS.WritableStream, fields: readonly (readonly [string, Cell])[]): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  stdout.write(`${fields.map(([label, value]) => `${label.padEnd(width)}  ${cellText(value)}`).join('\n')}\n`);
}

function cellText(value: Cell): string {
  if (value === undefined || value === null || value === '') return '-';
  return String(value).replace(/\s+/g, ' ');
}

/**
 * The one line on stderr that says why a command failed: the message alone (class names and stack traces are for
 * ATLAS_RESTORE_DEBUG=1), a usage mistake with the help to read, an AWS SDK error with what to do about it.
 */
export function errorLine(error: unknown, commandName?: string): string {
  const help = commandName ? `atlas-restore ${commandName} --help` : 'atlas-restore --help';
  const message =
    error instanceof UsageError
      ? `${error.message} (see ${help})`
      : error instanceof AtlasApiError
        ? error.message
        : error instanceof Error
          ? (awsAdvice(error) ?? error.message)
          : String(error);
  return `atlas-restore: ${message.replace(/\s*\n\s*/g, ' ')}\n`;
}

/** What to do about the AWS SDK errors an operator's own setup causes. */
function awsAdvice(error: Error): string | undefined {
  if (error.name === 'CredentialsProviderError') {
    return `no AWS credentials found (${error.message}): set AWS_PROFILE (after aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role provides them`;
  }
  if (/^Region is missing/.test(error.message)) {
    return 'no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or give the queue URL, which names its region';
  }
  if (error.name === 'ExpiredTokenException' || error.name === 'ExpiredToken') {
    return `AWS credentials have expired (${error.message}): renew them (aws sso login) and run it again`;
  }
  if (error.name === 'AccessDeniedException' || error.name === 'AccessDenied') {
    return `AWS refused the call: ${error.message} (the identity needs the permissions listed in the README, Operating)`;
  }
  return undefined;
}

/** Exit status: 2 for a usage mistake, 1 for anything else that failed. */
export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}

/** Bytes in binary units, as the Atlas UI shows snapshot sizes. */
export function formatBytes(bytes: number | null | undefined): string | undefined {
  if (bytes === null || bytes === undefined) return undefined;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
