import { formatDuration } from '../../functions/cli/progress.ts';
import type { DrillReport } from './drill.ts';

/** The drill report for people: what was restored, when, how long it took (RTO) and how old the data was (RPO). */
export function formatReport(report: DrillReport): string {
  const op = report.operation;
  const text = (value: unknown) => (value === undefined || value === null || value === '' ? '-' : String(value));
  const seconds = (value: unknown) => (typeof value === 'number' ? formatDuration(value) : undefined);
  const rows: [string, unknown][] = [
    ['Drill', report.passed ? 'PASSED' : 'FAILED'],
    [
      'Outcome',
      report.succeeded
        ? op.outcome === 'succeeded'
          ? 'succeeded'
          : `${text(op.outcome)} (as this drill expects)`
        : `NOT SUCCEEDED (${text(op.outcome ?? 'no outcome')})`,
    ],
    ['Reason', op.reason],
    ['Operation', op.operationId],
    ['Delivery', op.deliveryType],
    ['Source', op.source],
    ['Target', op.target ?? (op.deliveryType === 'download' ? 'download link' : undefined)],
    [
      'Snapshot',
      op.snapshotId ?? (op.deliveryType === 'pointInTime' ? 'chosen by Atlas for the point in time' : undefined),
    ],
    [op.deliveryType === 'pointInTime' ? 'Point in time' : 'Snapshot taken at', op.snapshotAt],
    ['Requested at', op.requestedAt],
    ['Restore started', op.submittedAt],
    ['Restore finished', op.finishedAt],
    ['RTO', seconds(op.rtoSeconds)],
    ['RPO', seconds(op.rpoSeconds)],
    ...verificationRows(report),
    ['Deferrals', op.deferrals],
    ['Polls', op.polls],
    ['Atlas calls', `${text(op.atlasCalls)} by the workflow (${report.atlasRequests} HTTP requests seen by Atlas)`],
    ['Restore jobs', `${report.restoreJobs} in Atlas`],
    ...(report.ephemeral === undefined
      ? []
      : ([
          [
            'Drill cluster',
            `${report.ephemeral.cluster} (${report.ephemeral.stillExists ? 'STILL IN ATLAS' : 'deleted'})`,
          ],
          [
            'Cluster-hours',
            report.ephemeral.clusterHours === undefined ? undefined : report.ephemeral.clusterHours.toFixed(2),
          ],
          [
            'Cost estimate',
            report.ephemeral.costUsd === undefined ? undefined : `${report.ephemeral.costUsd.toFixed(2)} USD`,
          ],
          [
            'Reaper',
            report.ephemeral.reaperFired > 0 ? 'fired: it deleted the cluster' : 'not needed (schedule cancelled)',
          ],
        ] as [string, unknown][])),
    ['Messages', `${report.messages} in ${report.batches} batches, ${report.failedMessages} retried`],
    ['Wall clock', `${report.wallClockSeconds} s (simulated Atlas at ${report.scale}x)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const title = `DR drill report: ${report.scenario} (${report.summary})`;
  return [title, ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${text(value)}`), ''].join('\n');
}

interface CheckRecord {
  readonly name: string;
  readonly verdict: string;
  readonly reason: string;
}

/** The verification's verdict, the RPO its heartbeats prove, and one row per check (from the outcome record). */
function verificationRows(report: DrillReport): [string, unknown][] {
  if (report.verdict === undefined) return [];
  const op = report.operation;
  const checks = (op.verificationChecks ?? []) as CheckRecord[];
  const heartbeats = checks.find((check) => check.name === 'heartbeat-rpo');
  const rpo =
    typeof op.achievedRpoSeconds === 'number' && heartbeats?.verdict === 'pass'
      ? formatDuration(op.achievedRpoSeconds)
      : 'NOT PROVEN';
  return [
    ['Verification', report.verdict === 'pass' ? 'passed' : report.verdict.toUpperCase()],
    ['RPO proven', `${rpo} (newest heartbeat on the target; ${report.heartbeatsWritten} written during the drill)`],
    ...checks.map((check, index): [string, unknown] => [
      index === 0 ? 'Checks' : '',
      `${check.verdict.padEnd(7)} ${check.name}: ${check.reason}`,
    ]),
  ];
}
