/**
 * The drill judge: every run of every drill schedule ends as passed, failed or missed, once.
 *
 * - A run is a drill's scheduled time; its restore is the operation whose requestId is `<drill>-<scheduled time>`
 *   (the id the schedule sends) and whose request is the drill's own (same fingerprint). Nothing else counts: an
 *   ad-hoc restore of the same cluster has another id, a request posing under the drill's id has another content.
 * - passed: that operation succeeded (or, for a dry-run drill, ended as a dry run) and, for a drill whose request
 *   has `verify`, its verification passed. failed: it ended otherwise, its verification failed (naming the failing
 *   checks) or is unknown, or the id holds another request. missed: no outcome by the run's deadline, scheduled time + maxWait + margin (the
 *   margin covers Scheduler's delivery retries and the last poll), whether the chain died or never started.
 * - The judge runs on its own schedule, apart from the restore chain, so a dead chain is still judged. It looks back
 *   over one deadline and a day, never before the drill's expression was first seen (a new stack or a changed
 *   schedule does not judge runs that could not have happened).
 * - Report first, record after (as the ledger's outcomes): a crash between the two reports a verdict twice, never
 *   zero times; a verdict's metric is a maximum, and its event carries the run's id to deduplicate on.
 */
import * as z from 'zod';
import { type RestoreRequest, restoreRequestSchema } from '../contract/restore-request.ts';
import { describeChecksNotPassed, VERDICT_WORDS } from '../reporting/verification-summary.ts';
import { type Operation, requestFingerprint } from '../workflow/operation.ts';
import type { Clock, Ledger, Log } from '../workflow/ports.ts';
import { parseScheduleExpression, rateRunTimes, runTimes, scheduledTimeText } from './schedule-expression.ts';

export type DrillVerdictKind = 'passed' | 'failed' | 'missed';

/** Scheduler's delivery retries (2 h at most), the last poll (15 min at most) and the report, with room to spare. */
export const DRILL_DEADLINE_MARGIN_MINUTES = 180;
/** A judge looks this much further back than a deadline: runs stay judgeable through a day of judge outage. */
const LOOKBACK_SLACK_MS = 24 * 3_600_000;
/** At most this many runs per drill and invocation (a drill every minute would otherwise make thousands of reads). */
const MAX_RUNS_PER_DRILL = 200;

export const drillDefinitionSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  expression: z.string().min(1),
  timeZone: z.string().min(1),
  maxWaitMinutes: z.int().min(1),
  request: restoreRequestSchema,
});
export type DrillDefinition = z.infer<typeof drillDefinitionSchema>;

/** What the judge's schedule sends it: the drills to judge, as the stack's configuration holds them. */
export const judgeEventSchema = z.strictObject({ drills: z.array(drillDefinitionSchema) });

export interface DrillVerdict {
  readonly drill: string;
  /** Epoch ms of the run's scheduled time. */
  readonly scheduledAt: number;
  /** The requestId of the run's restore. */
  readonly runId: string;
  readonly verdict: DrillVerdictKind;
  readonly reason: string;
  readonly projectId: string;
  readonly clusterName: string;
  readonly outcome?: string;
  readonly decidedAt: number;
  readonly deadlineAt: number;
}

/** Where verdicts are kept: one per drill run, written once, beside the operations in the ledger. */
export interface DrillVerdictStore {
  getVerdict(drill: string, scheduledAt: number): Promise<DrillVerdict | undefined>;
  /** Records a verdict unless the run has one; false if it had. */
  recordVerdict(verdict: DrillVerdict): Promise<boolean>;
  /** When the drill, with this expression and time zone, was first seen (now, the first time). */
  drillSince(drill: Pick<DrillDefinition, 'name' | 'expression' | 'timeZone'>, now: number): Promise<number>;
}

/** Where a verdict is told: a metric and an event, for the alarm and for whoever routes events to people. */
export interface DrillVerdictSink {
  publish(verdict: DrillVerdict): Promise<void>;
}

export interface DrillJudgeDeps {
  readonly ledger: Pick<Ledger, 'get' | 'listOperations'>;
  readonly verdicts: DrillVerdictStore;
  readonly sink: DrillVerdictSink;
  readonly clock: Clock;
  readonly log: Log;
}

/** A pass that could not judge some drills (the others were judged): the invocation fails, and its alarm fires. */
export class DrillJudgeError extends Error {
  readonly code = 'DRILL_JUDGE_FAILED';
  readonly drills: readonly string[];

  constructor(failures: readonly { drill: string; error: unknown }[]) {
    super(
      `could not judge ${failures.map((failure) => `${failure.drill} (${(failure.error as Error)?.message ?? String(failure.error)})`).join(', ')}`,
      { cause: failures[0]?.error },
    );
    this.name = 'DrillJudgeError';
    this.drills = failures.map((failure) => failure.drill);
  }
}

/**
 * Judges every run of every drill whose verdict is due; answers the verdicts recorded by this pass. One drill's
 * failure (the ledger, EventBridge) does not keep the others from being judged; the pass then throws DrillJudgeError.
 */
export async function judgeDrills(drills: readonly DrillDefinition[], deps: DrillJudgeDeps): Promise<DrillVerdict[]> {
  const decided: DrillVerdict[] = [];
  const failures: { drill: string; error: unknown }[] = [];
  for (const drill of drills) {
    try {
      decided.push(...(await judgeDrill(drill, deps)));
    } catch (error) {
      deps.log.error('drill not judged', { drill: drill.name, error });
      failures.push({ drill: drill.name, error });
    }
  }
  if (failures.length > 0) throw new DrillJudgeError(failures);
  return decided;
}

async function judgeDrill(drill: DrillDefinition, deps: DrillJudgeDeps): Promise<DrillVerdict[]> {
  const { ledger, verdicts, sink, clock, log } = deps;
  const parsed = parseScheduleExpression(drill.expression);
  if (!parsed.ok) {
    log.error('drill not judged: invalid schedule expression', { drill: drill.name, reason: parsed.reason });
    return [];
  }
  const now = clock.now();
  const since = await verdicts.drillSince(drill, now);
  const allowanceMs = (drill.maxWaitMinutes + DRILL_DEADLINE_MARGIN_MINUTES) * 60_000;
  const window = { from: Math.max(since, now - allowanceMs - LOOKBACK_SLACK_MS), to: now, limit: MAX_RUNS_PER_DRILL };

  let times: number[];
  if (parsed.expression.kind === 'rate') {
    const seen = await observedRuns(drill, ledger);
    const anchor = seen.at(0);
    // Scheduler starts a rate schedule when it is created, a moment the stack does not record: until a run shows its
    // phase, runs are expected one interval after the drill was first seen, and never at that instant itself.
    const grid =
      anchor === undefined
        ? rateRunTimes(parsed.expression.intervalMs, since, { ...window, from: Math.max(window.from, since + 1) })
        : rateRunTimes(parsed.expression.intervalMs, anchor, window);
    const inWindow = seen.filter((time) => time >= window.from && time <= window.to);
    times = [...new Set([...grid, ...inWindow])].sort((a, b) => a - b);
  } else {
    times = runTimes(parsed.expression, drill.timeZone, window);
  }

  const decided: DrillVerdict[] = [];
  for (const scheduledAt of times) {
    if (await verdicts.getVerdict(drill.name, scheduledAt)) continue;
    const runId = `${drill.name}-${scheduledTimeText(scheduledAt)}`;
    const deadlineAt = scheduledAt + allowanceMs;
    const judged = judgeRun(drill, await ledger.get(runId), now >= deadlineAt);
    if (judged === undefined) continue;
    const verdict: DrillVerdict = {
      drill: drill.name,
      scheduledAt,
      runId,
      ...judged,
      projectId: drill.request.groupId,
      clusterName: drill.request.clusterName,
      decidedAt: now,
      deadlineAt,
    };
    await sink.publish(verdict);
    if (await verdicts.recordVerdict(verdict)) decided.push(verdict);
    log.info('drill verdict', { ...verdict, scheduledAt: scheduledTimeText(scheduledAt) });
  }
  return decided;
}

/** The verdict of one run, or undefined while it may still pass. */
export function judgeRun(
  drill: Pick<DrillDefinition, 'request'>,
  operation: Operation | undefined,
  pastDeadline: boolean,
): Pick<DrillVerdict, 'verdict' | 'reason' | 'outcome'> | undefined {
  if (operation !== undefined && operation.fingerprint !== requestFingerprint(drill.request as RestoreRequest)) {
    return {
      verdict: 'failed',
      reason: "the run's requestId holds a request other than the drill's: it cannot stand for the drill",
    };
  }
  if (operation?.outcome !== undefined) {
    const passed = operation.outcome === 'succeeded' || (operation.outcome === 'dryRun' && drill.request.dryRun);
    if (passed && operation.outcome === 'succeeded' && drill.request.verify !== undefined) {
      return judgeVerification(operation, operation.outcome);
    }
    return passed
      ? { verdict: 'passed', reason: `the drill's restore ended as ${operation.outcome}`, outcome: operation.outcome }
      : {
          verdict: 'failed',
          reason: `the drill's restore ended as ${operation.outcome}${operation.outcomeReason ? `: ${operation.outcomeReason}` : ''}`,
          outcome: operation.outcome,
        };
  }
  if (!pastDeadline) return undefined;
  return {
    verdict: 'missed',
    reason:
      operation === undefined
        ? 'no restore was started for this run by its deadline (schedule disabled, delivery failed, or the request was dead-lettered)'
        : `the drill's restore had no outcome by the run's deadline (stopped at step ${operation.step})`,
  };
}

/**
 * A verified drill whose restore succeeded passes only when its verification passed: a failed one names its failing
 * checks, and an unknown one (or none recorded) fails too, saying why: never a silent pass.
 */
function judgeVerification(
  operation: Operation,
  outcome: string,
): Pick<DrillVerdict, 'verdict' | 'reason' | 'outcome'> {
  const result = operation.verification?.result;
  if (result === undefined) {
    return { verdict: 'failed', reason: 'verification unknown: no verification result was recorded', outcome };
  }
  if (result.verdict === 'pass') {
    return { verdict: 'passed', reason: "the drill's restore succeeded and its verification passed", outcome };
  }
  return {
    verdict: 'failed',
    reason: `verification ${VERDICT_WORDS[result.verdict]}: ${describeChecksNotPassed(result)}`,
    outcome,
  };
}

/** Scheduled times of the drill's runs found in the ledger, newest first (rate drills are placed from them). */
async function observedRuns(drill: DrillDefinition, ledger: Pick<Ledger, 'listOperations'>): Promise<number[]> {
  const prefix = `${drill.name}-`;
  const operations = await ledger.listOperations({
    clusterKey: `${drill.request.groupId}/${drill.request.clusterName}`,
    limit: 100,
  });
  return operations
    .filter((operation) => operation.operationId.startsWith(prefix))
    .map((operation) => Date.parse(operation.operationId.slice(prefix.length)))
    .filter((time) => Number.isFinite(time))
    .sort((a, b) => b - a);
}

/** Verdicts in this process's memory: the judge's tests and local runs. */
export class InMemoryDrillVerdicts implements DrillVerdictStore {
  readonly verdicts = new Map<string, DrillVerdict>();
  readonly drills = new Map<string, { since: number; expression: string; timeZone: string }>();

  async getVerdict(drill: string, scheduledAt: number) {
    return this.verdicts.get(`${drill}#${scheduledAt}`);
  }

  async recordVerdict(verdict: DrillVerdict) {
    const key = `${verdict.drill}#${verdict.scheduledAt}`;
    if (this.verdicts.has(key)) return false;
    this.verdicts.set(key, verdict);
    return true;
  }

  async drillSince(drill: Pick<DrillDefinition, 'name' | 'expression' | 'timeZone'>, now: number) {
    const known = this.drills.get(drill.name);
    if (known && known.expression === drill.expression && known.timeZone === drill.timeZone) return known.since;
    this.drills.set(drill.name, { since: now, expression: drill.expression, timeZone: drill.timeZone });
    return now;
  }
}
