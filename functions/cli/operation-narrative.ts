import { clusterKey, type RestoreRequest } from '../core/contract/restore-request.ts';
import { describeVerification } from '../core/reporting/verification-summary.ts';
import type { Operation } from '../core/workflow/operation.ts';
import { formatDuration } from './progress.ts';

const iso = (epochMs: number | undefined) => (epochMs === undefined ? '?' : new Date(epochMs).toISOString());

/** `automated restore of 5f…/prod (snapshot latest) onto 5f…/dr-drill`: a request in one phrase. */
export function describeRequest(request: RestoreRequest): string {
  const source = clusterKey(request);
  const target = `${request.targetGroupId}/${request.targetClusterName}`;
  const snapshot = `snapshot ${request.snapshotId ?? 'latest'}`;
  const what =
    request.deliveryType === 'download'
      ? `download of ${source} (${snapshot})`
      : request.deliveryType === 'automated'
        ? `automated restore of ${source} (${snapshot}) onto ${target}`
        : `point-in-time restore of ${source} to ${pointInTime(request)} onto ${target}`;
  return request.dryRun ? `dry run: ${what}` : what;
}

function pointInTime(request: RestoreRequest): string {
  if (request.pointInTimeUTCSeconds !== undefined) return iso(request.pointInTimeUTCSeconds * 1000);
  return `oplog ${request.oplogTs}:${request.oplogInc}`;
}

/**
 * What an operation did between two reads of its ledger item, one line per step, for people: deferrals, the
 * snapshot and the submission, polls, the outcome. `now` is the workflow's clock (Atlas time), for the delays.
 */
export function narrateSteps(previous: Operation | undefined, next: Operation, now: number): string[] {
  const lines: string[] = [];
  const until = (dueAt: number | undefined) => formatDuration(dueAt === undefined ? undefined : (dueAt - now) / 1000);
  if (previous === undefined) lines.push(`accepted: ${describeRequest(next.request)} (operation ${next.operationId})`);

  if (next.deferAttempts > (previous?.deferAttempts ?? 0)) {
    lines.push(
      `deferred (${next.deferAttempts}): ${next.lastDeferReason ?? 'blocked'}; next check in ${until(next.pending?.dueAt)}`,
    );
  }
  if (next.restoreJobId !== undefined && previous?.restoreJobId === undefined) {
    lines.push(
      next.snapshotId === undefined
        ? `snapshot check: point in time ${iso(next.snapshotAt)}`
        : `snapshot check: snapshot ${next.snapshotId} taken at ${iso(next.snapshotAt)}`,
    );
    const verb = next.adopted ? 'adopted restore job (an earlier attempt submitted it)' : 'submitted restore job';
    const poll = next.outcome === undefined ? `; first poll in ${until(next.pending?.dueAt)}` : '';
    lines.push(`${verb} ${next.restoreJobId}${poll}`);
  }
  if (next.restoreEnd !== undefined && previous?.restoreEnd === undefined && next.outcome === undefined) {
    lines.push(`restore ended: ${next.restoreEnd.outcome}: ${next.restoreEnd.reason}`);
  }
  if (next.verification?.requestedAt !== undefined && previous?.verification?.requestedAt === undefined) {
    lines.push('verification requested: the verifier is checking the restored cluster');
  }
  if (next.polls > (previous?.polls ?? 0) && next.outcome === undefined && next.restoreEnd === undefined) {
    const running = formatDuration(next.submittedAt === undefined ? undefined : (now - next.submittedAt) / 1000);
    lines.push(
      `poll ${next.polls}: restore job ${next.restoreJobId} running for ${running}; next poll in ${until(next.pending?.dueAt)}`,
    );
  }
  if (next.pending?.kind === 'wait' && next.step > (previous?.step ?? 0) && lines.length === 0) {
    lines.push(`waiting: the next ${next.pending.next ?? 'step'} is due in ${until(next.pending.until)}`);
  }
  if (next.outcome !== undefined && previous?.outcome === undefined) {
    lines.push(describeOutcome(next));
    lines.push(...describeVerificationLines(next));
  }
  return lines;
}

/** `succeeded: restore job … completed (RTO 4m 12s, RPO 3h 05m)`, or the failure with its code. */
export function describeOutcome(operation: Operation): string {
  const code = operation.errorCode ? ` [${operation.errorCode}]` : '';
  const measures = [
    operation.rtoSeconds === undefined ? undefined : `RTO ${formatDuration(operation.rtoSeconds)}`,
    operation.rpoSeconds === undefined ? undefined : `RPO ${formatDuration(operation.rpoSeconds)}`,
  ].filter(Boolean);
  const label = operation.outcome === 'dryRun' ? 'dry run' : operation.outcome;
  return `${label}: ${operation.outcomeReason ?? ''}${code}${measures.length > 0 ? ` (${measures.join(', ')})` : ''}`;
}

/**
 * `verification passed, 4 checks, RPO proven by heartbeats 42 s`, then one line per check (`  pass  heartbeat-rpo:
 * …`); nothing for an operation that was not verified.
 */
export function describeVerificationLines(operation: Operation): string[] {
  const summary = describeVerification(operation.verification);
  if (summary === undefined) return [];
  const checks = operation.verification?.result?.checks ?? [];
  return [
    `verification ${summary}`,
    ...checks.map((check) => `  ${check.verdict.padEnd(7)} ${check.name}: ${check.reason}`),
  ];
}

/** `+07:20`: time since the request, in the workflow's clock, to prefix step lines. */
export function sinceRequest(operation: Pick<Operation, 'requestedAt'>, now: number): string {
  const total = Math.max(0, Math.round((now - operation.requestedAt) / 1000));
  const hours = Math.floor(total / 3600);
  const mm = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const ss = String(total % 60).padStart(2, '0');
  return hours > 0 ? `+${hours}:${mm}:${ss}` : `+${mm}:${ss}`;
}
