import { outcomeRecord } from '../core/reporting/reporter.ts';
import { describeVerification } from '../core/reporting/verification-summary.ts';
import type { Operation } from '../core/workflow/operation.ts';
import { describeVerificationLines, narrateSteps, sinceRequest } from './operation-narrative.ts';
import { writeFields, writeJson } from './output.ts';
import { formatDuration } from './progress.ts';

/**
 * What `start` and `watch --stack` print while they follow an operation and when it ends: one narrative of its
 * steps, one summary. Shared so that both commands tell the same story of the same ledger item.
 */

/** A step callback that prints, for each ledger write, the steps it adds since the previous one (`+07:20 …`). */
export function stepNarrator(line: (text: string) => void): {
  onStep(next: Operation): void;
  readonly last: Operation | undefined;
} {
  let previous: Operation | undefined;
  return {
    onStep(next) {
      const now = Date.now();
      for (const text of narrateSteps(previous, next, now)) line(`${sinceRequest(next, now)} ${text}`);
      previous = next;
    },
    get last() {
      return previous;
    },
  };
}

export function stateOf(operation: Operation): string {
  if (operation.outcome === 'dryRun') return 'dry run';
  if (operation.outcome === undefined && operation.verification?.requestedAt !== undefined) return 'verifying';
  return operation.outcome ?? (operation.restoreJobId ? 'submitted' : 'pending');
}

/** The operation on stdout: its outcome record for scripts (--json), else its fields for people. */
export function writeOperation(stdout: NodeJS.WritableStream, operation: Operation, json: boolean): void {
  if (json) writeJson(stdout, { ...outcomeRecord(operation), state: stateOf(operation) });
  else writeSummary(stdout, operation);
}

function writeSummary(stdout: NodeJS.WritableStream, operation: Operation): void {
  const record = outcomeRecord(operation);
  const { request } = operation;
  const fields: [string, string | number | undefined][] = [
    ['Operation', operation.operationId],
    ['Outcome', stateOf(operation)],
    ['Reason', operation.outcomeReason],
    ['Error code', operation.errorCode],
    ['Restore job', operation.restoreJobId],
    ['Snapshot', operation.snapshotId],
    ['Snapshot time', record.snapshotAt as string | undefined],
    ['Submitted', record.submittedAt as string | undefined],
    ['Finished', record.finishedAt as string | undefined],
    ['RTO', formatDuration(operation.rtoSeconds)],
    ['RPO', formatDuration(operation.rpoSeconds)],
    ['Verification', describeVerification(operation.verification)],
    ['Polls', operation.polls],
    ['Atlas calls', operation.atlasCalls],
  ];
  writeFields(
    stdout,
    fields.filter(([, value]) => value !== undefined),
  );
  // Each check on its own line under the fields: what an auditor reads of a verified drill.
  for (const line of describeVerificationLines(operation).slice(1)) stdout.write(`${line}\n`);
  if (operation.outcome === undefined && operation.restoreJobId !== undefined) {
    stdout.write(
      `Follow it with: atlas-restore watch ${operation.restoreJobId} --projectId ${request.groupId} --clusterName ${request.clusterName}\n`,
    );
  }
}
