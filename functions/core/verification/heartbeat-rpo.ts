import type { CheckResult } from '../contract/verification.ts';
import type { DatabaseReader } from './database-port.ts';

/**
 * Heartbeats are stamped with the writer's clock and restored instants with Atlas's: clocks synchronised by NTP
 * (Lambda, Atlas) agree within well under a second, so 5 s covers skew and the insert's own latency.
 */
export const HEARTBEAT_CLOCK_GRACE_MS = 5_000;

export const HEARTBEAT_CHECK = 'heartbeat-rpo';

export interface HeartbeatRpoInput {
  /** The restored data's instant (epoch ms): the snapshot's time, or the point in time; undefined if not known. */
  readonly instant: number | undefined;
  readonly restoreKind: 'snapshot' | 'pointInTime';
  readonly intervalSeconds: number;
  /** The newest heartbeat's `at` on the target (epoch ms), undefined when there is none. */
  readonly newestAt: number | undefined;
  /** Heartbeats were expected on the target: the source had them when its inventory was taken. */
  readonly expected: boolean;
}

export interface HeartbeatRpoResult {
  readonly check: CheckResult;
  readonly achievedRpoSeconds?: number;
}

/**
 * The RPO proven by heartbeats. The target must hold no heartbeat newer than the restored instant (else its data is
 * not the snapshot's, or the point in time's), and its newest one must be within one interval of it (plus the
 * grace): achieved RPO = instant − newest heartbeat, rounded up to the second.
 */
export function heartbeatRpo(input: HeartbeatRpoInput): HeartbeatRpoResult {
  const instantName = input.restoreKind === 'pointInTime' ? 'the requested point in time' : "the snapshot's time";
  const unknown = (reason: string): HeartbeatRpoResult => ({
    check: { name: HEARTBEAT_CHECK, verdict: 'unknown', reason },
  });
  // Stryker disable next-line StringLiteral: message text, the unknown check's reason
  if (input.instant === undefined) return unknown(`${instantName} is not known: nothing to measure against`);
  const instant = input.instant;
  if (input.newestAt === undefined) {
    return input.expected
      ? {
          check: {
            name: HEARTBEAT_CHECK,
            verdict: 'fail',
            reason: `no heartbeat on the target, though the source had heartbeats: the data is not the source's as of ${iso(instant)}`,
          },
        }
      : unknown('no heartbeats yet (on the target, and none expected: is the heartbeat writer configured?)');
  }
  const newestAt = input.newestAt;
  if (newestAt > instant + HEARTBEAT_CLOCK_GRACE_MS) {
    return {
      check: {
        name: HEARTBEAT_CHECK,
        verdict: 'fail',
        reason: `a heartbeat of ${iso(newestAt)} is on the target, ${seconds(newestAt - instant)} s after ${instantName} (${iso(instant)}): the data is not the restored instant's`,
      },
    };
  }
  const gapMs = Math.max(0, instant - newestAt);
  const achievedRpoSeconds = Math.ceil(gapMs / 1000);
  const boundMs = input.intervalSeconds * 1000 + HEARTBEAT_CLOCK_GRACE_MS;
  const found = `newest heartbeat ${iso(newestAt)}, ${achievedRpoSeconds} s before ${instantName} (${iso(instant)})`;
  if (gapMs <= boundMs) {
    return {
      check: {
        name: HEARTBEAT_CHECK,
        verdict: 'pass',
        reason: `${found}: within one interval (${input.intervalSeconds} s + ${HEARTBEAT_CLOCK_GRACE_MS / 1000} s grace)`,
      },
      achievedRpoSeconds,
    };
  }
  return {
    check: {
      name: HEARTBEAT_CHECK,
      verdict: 'fail',
      reason: `${found}: a gap of ${achievedRpoSeconds} s, more than one interval (${input.intervalSeconds} s + ${HEARTBEAT_CLOCK_GRACE_MS / 1000} s grace)`,
    },
    achievedRpoSeconds,
  };
}

/** The newest heartbeat's `at` on a cluster (one find, sorted on `at`, limit 1); undefined when there is none. */
export async function newestHeartbeatAt(
  database: DatabaseReader,
  heartbeats: { readonly database: string; readonly collection: string },
): Promise<number | undefined> {
  const listed = await database.listCollections(heartbeats.database);
  if (!listed.some((entry) => entry.name === heartbeats.collection)) return undefined;
  const newest = await database.newestValue(heartbeats.database, heartbeats.collection, 'at');
  return newest instanceof Date && !Number.isNaN(newest.getTime()) ? newest.getTime() : undefined;
}

// Stryker disable next-line BlockStatement: message text, iso only writes instants into reasons
function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}
