import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { describeContractIssues } from '../core/contract/issues.ts';
import { parseWorkMessageBody, type Rejection, type WorkMessage } from '../core/contract/work-message.ts';
import { UsageError } from './command.ts';

/** SQS's limit on a message body. */
const MAX_MESSAGE_BYTES = 256 * 1024;

/** A message that does not meet the contract: exit 2, with the field and rule on one line. */
export class InvalidMessageError extends UsageError {
  readonly rejection: Rejection;

  constructor(source: string, rejection: Rejection) {
    super(`${source} is not a valid message (${rejection.code}): ${describeContractIssues(rejection.issues)}`);
    this.name = 'InvalidMessageError';
    this.rejection = rejection;
  }
}

/** Reads a message from a file, or from stdin for `-`. */
export async function readMessageFile(path: string): Promise<string> {
  try {
    const body = path === '-' ? await text(process.stdin) : await readFile(path, 'utf8');
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) throw new UsageError(`${path} is over SQS's 256 KiB limit`);
    return body;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code ?? (error instanceof Error ? error.message : String(error))}`);
  }
}

/** The message as the work queue's consumer will read it: a restore request, an EventBridge event, or internal. */
export function checkMessage(source: string, body: string): WorkMessage {
  // The CLI receives the message: its clock decides whether a point in time is in the future, as the Lambda's does.
  const parsed = parseWorkMessageBody(body.trim(), { now: Date.now() });
  if (!parsed.ok) throw new InvalidMessageError(source, parsed);
  return parsed;
}
