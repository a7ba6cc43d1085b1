/**
 * The random-interleaving explorer: several restore operations at once through the real workflow, on the in-memory
 * fakes (ledger with DynamoDB's conditions, a queue with SQS's delivery rules, a scriptable Atlas, a manual clock),
 * with every port call a point where a seeded scheduler chooses what happens next: which invocation moves on, which
 * message is delivered (and whether twice, concurrently), how much time passes, and whether the call crashes the
 * invocation before or after its effect, loses its answer (the SDK then throws, or retries a conditional write that
 * then fails its condition), loses a send, or meets an Atlas fault or outage. One seed is one run, reproducible alone.
 *
 * After each run the invariants are checked: no restore job submitted twice for one operation, none recorded by two
 * operations, none submitted and recorded by nobody; every operation ends with exactly one recorded outcome,
 * reported at least once; an operation this workflow timed out is not reported as an outside cancellation; a
 * verified restore that succeeded ends with its verification recorded and reported (the verifier's result, or unknown
 * when it answers after VERIFY_MAX_MINUTES), and one that did not succeed is never verified.
 */
import type { AtlasApi } from '../../functions/core/atlas/api.ts';
import type { RestoreJob, RestoreJobRequest } from '../../functions/core/atlas/model.ts';
import type { RestoreRequest } from '../../functions/core/contract/restore-request.ts';
import type { Ledger, Queue, VerificationQueue, WorkflowDeps } from '../../functions/core/workflow/ports.ts';
import { createRestoreService } from '../../functions/core/workflow/service.ts';
import {
  atlasError,
  type Fixture,
  fixture,
  GROUP,
  type QueuedMessage,
  requests,
  SimulatedCrash,
  SOURCE,
} from '../functions/core/workflow/fakes.ts';
import { FakeVerifier } from '../functions/core/workflow/verifier-fake.ts';
import { pick, seededRandom } from '../soak/chaos.ts';

/** What the explorer checks; each names the operation or job at fault. */
export type ViolationKind =
  | 'duplicate-job'
  | 'shared-job'
  | 'unrecorded-job'
  | 'no-outcome'
  | 'outcome-twice'
  | 'never-reported'
  | 'timeout-reported-as-cancellation'
  | 'unknown-operation'
  | 'livelock'
  | 'verification-missing';

export interface Violation {
  readonly kind: ViolationKind;
  readonly detail: string;
}

export interface ExplorationResult {
  readonly seed: number;
  readonly scenario: string;
  readonly violations: readonly Violation[];
  /** The run as it happened, one line per decision (printed for a failing seed). */
  readonly trace: readonly string[];
  readonly stats: {
    readonly operations: number;
    readonly deliveries: number;
    readonly steps: number;
    readonly faults: number;
    readonly crashes: number;
    /** Operations whose outcome was reported more than once (allowed: at least once, never zero). */
    readonly reportedMoreThanOnce: number;
    readonly simulatedMinutes: number;
  };
}

export interface ExplorationOptions {
  /** Breaks the workflow on purpose (the explorer's own test: it must find the planted bug). */
  readonly sabotage?: (deps: WorkflowDeps) => WorkflowDeps;
}

/** As the stack sets them: a 60 s function, a lease of the timeout + 30 s, a 360 s visibility timeout. */
const FUNCTION_TIMEOUT_MS = 60_000;
const CLAIM_LEASE_SECONDS = 90;
const VISIBILITY_MS = 360_000;
const MAX_STEPS = 40_000;
const MAX_CONCURRENT_INVOCATIONS = 4;

/** Ledger writes whose answer may be lost: the SDK retries them, and a conditional one then fails its condition. */
const CONDITIONAL_WRITES = new Set(['create', 'advance', 'claim', 'finish', 'markReported', 'ownJob']);

type PortName = 'ledger' | 'queue' | 'atlas';

type Fault = 'none' | 'crash-before' | 'crash-after' | 'fail-before' | 'answer-lost-throw' | 'answer-lost-retried';

interface Task {
  readonly id: number;
  readonly message: QueuedMessage;
  readonly operationId: string | undefined;
  readonly startedAt: number;
  dead: boolean;
  done: boolean;
  /** Set while the task waits at a port call for the scheduler. */
  waiting: { readonly call: string; readonly release: () => void } | undefined;
}

interface Scenario {
  readonly name: string;
  readonly requests: readonly RestoreRequest[];
  /** How long the verifier takes to record its result after a `verify` message. */
  readonly verifierAnswerMs: number;
  /** Requests a producer sends twice (a retried SendMessage). */
  readonly resent: ReadonlySet<number>;
  readonly restoreMs: number;
  readonly cancelOnTimeout: boolean;
  readonly faultRate: number;
  readonly crashRate: number;
  readonly duplicateRate: number;
  /** An operator starting, by hand, the same restore as an operation: at this clock offset. */
  readonly byHand?: { readonly atMs: number; readonly body: RestoreJobRequest };
  /** Atlas down (every call 503) over this window of clock offsets. */
  readonly outage?: { readonly fromMs: number; readonly toMs: number };
}

/** Runs one seeded exploration and checks the invariants. */
export async function explore(seed: number, options: ExplorationOptions = {}): Promise<ExplorationResult> {
  const random = seededRandom(seed);
  let tokens = 0;
  const f = fixture({
    config: { claimLeaseSeconds: CLAIM_LEASE_SECONDS },
    deps: { newToken: () => `tok-${seed}-${++tokens}` },
  });
  const scenario = planScenario(random, f);
  f.atlas.restoreMs = scenario.restoreMs;
  // The verifier is another function: it answers through the ledger, outside the invocations the scheduler runs.
  const verifier = new FakeVerifier(f.clock);
  verifier.observe(f.ledger);
  verifier.answerAfterMs = scenario.verifierAnswerMs;
  const config = { ...f.config, cancelOnTimeout: scenario.cancelOnTimeout };
  const start = f.clock.now();
  const trace: string[] = [`seed ${seed}: ${scenario.name}`];
  const at = () => `+${Math.round((f.clock.now() - start) / 1000)}s`;

  // Evidence gathered at the port boundary, for the invariants.
  const createdBy = new Map<string, string | undefined>();
  const cancelledBy = new Set<string>();
  const finishesApplied = new Map<string, number>();
  let faults = 0;
  let crashes = 0;

  const tasks = new Set<Task>();
  let taskIds = 0;

  /** A port whose every call waits for the scheduler, then meets the fault the seed chooses for it. */
  function gated<T extends object>(port: T, name: PortName, task: Task): T {
    return new Proxy(port, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return async (...args: unknown[]) => {
          const call = `${name}.${property}`;
          await new Promise<void>((release) => {
            task.waiting = { call, release };
          });
          task.waiting = undefined;
          if (task.dead) throw new SimulatedCrash(`${call} in a dead invocation`);
          if (f.clock.now() - task.startedAt > FUNCTION_TIMEOUT_MS) {
            task.dead = true;
            trace.push(`${at()} #${task.id} killed at ${call}: function timeout`);
            throw new SimulatedCrash(`function timeout at ${call}`);
          }
          const invoke = () => Promise.resolve(value.apply(target, args));
          const fault = chooseFault(name, property);
          if (fault !== 'none') {
            faults += 1;
            trace.push(`${at()} #${task.id} ${call}: ${fault}`);
          }
          const apply = async () => {
            const result = await invoke();
            observe(name, property, args, result, task);
            return result;
          };
          switch (fault) {
            case 'crash-before':
              task.dead = true;
              crashes += 1;
              throw new SimulatedCrash(`before ${call}`);
            case 'crash-after':
              await apply();
              task.dead = true;
              crashes += 1;
              throw new SimulatedCrash(`after ${call}`);
            case 'fail-before':
              throw failure(name, property);
            case 'answer-lost-throw':
              await apply();
              throw failure(name, property, true);
            case 'answer-lost-retried':
              await apply();
              return apply();
            default:
              if (name === 'atlas' && inOutage()) throw atlasError(property, 503, 'SERVICE_UNAVAILABLE');
              return apply();
          }
        };
      },
    });
  }

  function inOutage(): boolean {
    const offset = f.clock.now() - start;
    return scenario.outage !== undefined && offset >= scenario.outage.fromMs && offset < scenario.outage.toMs;
  }

  function chooseFault(name: PortName, method: string): Fault {
    if (random() >= scenario.faultRate + scenario.crashRate) return 'none';
    if (random() < scenario.crashRate / (scenario.faultRate + scenario.crashRate)) {
      return random() < 0.5 ? 'crash-before' : 'crash-after';
    }
    if (name === 'ledger') {
      if (method === 'get' || method === 'listOperations') return 'fail-before';
      if (CONDITIONAL_WRITES.has(method)) {
        return pick(random, [
          ['fail-before', 1],
          ['answer-lost-throw', 1],
          ['answer-lost-retried', 2],
        ] as const);
      }
      return random() < 0.5 ? 'fail-before' : 'answer-lost-throw';
    }
    if (name === 'queue') {
      // A lost send (refused after the SDK's retries), or one sent whose answer was lost (sent again on retry).
      return pick(random, [
        ['fail-before', 2],
        ['answer-lost-throw', 1],
        ['answer-lost-retried', 1],
      ] as const);
    }
    // Atlas: a POST or a cancel may take effect with its answer lost; reads fail before.
    if (method === 'createRestoreJob' || method === 'cancelRestoreJob') {
      return random() < 0.5 ? 'fail-before' : 'answer-lost-throw';
    }
    return 'fail-before';
  }

  function failure(name: PortName, method: string, applied = false): Error {
    if (name === 'atlas') {
      if (method === 'createRestoreJob' && applied) {
        return atlasError('createBackupRestoreJob', undefined, undefined, { retryable: true, ambiguous: true });
      }
      return pick(random, [
        [atlasError(method, 503, 'SERVICE_UNAVAILABLE'), 2],
        [atlasError(method, 429, 'RATE_LIMITED_TOKEN_BUCKET'), 1],
        [atlasError(method, undefined), 1],
      ] as const);
    }
    const error = new Error(`${name}.${method}: ${applied ? 'answer lost' : 'throttled'}`);
    error.name = applied ? 'TimeoutError' : 'ThrottlingException';
    return error;
  }

  function observe(name: PortName, method: string, args: unknown[], result: unknown, task: Task): void {
    if (name === 'atlas' && method === 'createRestoreJob') {
      createdBy.set((result as RestoreJob).id, task.operationId);
      trace.push(`${at()} #${task.id} POST created ${(result as RestoreJob).id} for ${task.operationId}`);
    }
    if (name === 'atlas' && method === 'cancelRestoreJob') cancelledBy.add(String(args[1]));
    if (name === 'ledger' && method === 'finish' && result === true) {
      const operationId = (args[0] as { operationId: string }).operationId;
      finishesApplied.set(operationId, (finishesApplied.get(operationId) ?? 0) + 1);
    }
    if (name === 'ledger' && method === 'ownJob') {
      trace.push(`${at()} #${task.id} ownJob ${String(args[0])} → ${String(result)}`);
    }
  }

  function deliver(message: QueuedMessage): Task {
    message.receiveCount += 1;
    const task: Task = {
      id: ++taskIds,
      message,
      operationId: operationOf(message.body),
      startedAt: f.clock.now(),
      dead: false,
      done: false,
      waiting: undefined,
    };
    tasks.add(task);
    const base: WorkflowDeps = {
      ...f.deps,
      config,
      atlas: gated<AtlasApi>(f.atlas, 'atlas', task),
      ledger: gated<Ledger>(f.ledger, 'ledger', task),
      queue: gated<Queue>(f.queue, 'queue', task),
      verificationQueue: gated<VerificationQueue>(verifier, 'queue', task),
    };
    const service = createRestoreService(options.sabotage ? options.sabotage(base) : base);
    trace.push(`${at()} #${task.id} deliver ${message.id} (receive ${message.receiveCount}) ${describe(message.body)}`);
    service.handleMessage(message.body, { messageId: message.id }, { deadline: Date.now() + 60_000 }).then(
      (result) => settle(task, undefined, result),
      (error: unknown) => settle(task, error),
    );
    return task;
  }

  const deleted = new Set<QueuedMessage>();
  function settle(task: Task, error: unknown, result?: string): void {
    task.done = true;
    tasks.delete(task);
    const { message } = task;
    // A killed invocation acknowledges nothing, whatever the code after the kill went on to do.
    if (task.dead && error === undefined) error = new SimulatedCrash('the invocation was killed');
    if (error === undefined) {
      trace.push(`${at()} #${task.id} done: ${result}`);
      deleted.add(message);
      const index = f.queue.messages.indexOf(message);
      if (index >= 0) f.queue.messages.splice(index, 1);
      if (result === 'unknown-operation') unknownOperations.push(task.operationId ?? message.id);
      return;
    }
    trace.push(`${at()} #${task.id} failed: ${error instanceof Error ? `${error.name} ${error.message}` : error}`);
    if (deleted.has(message) || f.queue.messages.includes(message)) return;
    message.dueAt = f.clock.now() + VISIBILITY_MS;
    f.queue.messages.push(message);
  }
  const unknownOperations: string[] = [];

  // Requests arrive at once (a producer retry sends one twice); the operator's job arrives at its time.
  scenario.requests.forEach((request, index) => {
    f.queue.put(JSON.stringify(request));
    if (scenario.resent.has(index)) f.queue.put(JSON.stringify(request), Math.floor(random() * 120_000));
  });
  let byHandDone = scenario.byHand === undefined;

  let steps = 0;
  let deliveries = 0;
  for (;;) {
    await quiesce(tasks);
    if (++steps > MAX_STEPS) break;
    await verifier.settle();
    const now = f.clock.now();
    if (!byHandDone && scenario.byHand && now - start >= scenario.byHand.atMs) {
      byHandDone = true;
      const job = f.atlas.addJob({ groupId: GROUP, clusterName: SOURCE }, scenario.byHand.body);
      createdBy.set(job.id, undefined);
      trace.push(`${at()} operator starts ${job.id} by hand`);
    }
    const waiting = [...tasks].filter((task) => task.waiting !== undefined);
    const visible = f.queue.messages.filter((message) => message.dueAt <= now);
    if (tasks.size === 0 && visible.length === 0) {
      const next = Math.min(
        ...f.queue.messages.map((message) => message.dueAt),
        byHandDone ? Number.POSITIVE_INFINITY : start + (scenario.byHand?.atMs ?? 0),
      );
      if (!Number.isFinite(next)) break;
      f.clock.set(next);
      continue;
    }
    type Choice = () => void;
    const choices: [Choice, number][] = waiting.map((task) => [() => release(task), 6]);
    if (tasks.size < MAX_CONCURRENT_INVOCATIONS) {
      for (const message of visible) {
        choices.push([
          () => {
            f.queue.messages.splice(f.queue.messages.indexOf(message), 1);
            deliveries += 1;
            deliver(message);
            // SQS delivers at least once: now and then a second copy runs alongside.
            if (random() < scenario.duplicateRate) {
              deliveries += 1;
              deliver(message);
            }
          },
          3,
        ]);
      }
    }
    if (tasks.size > 0) {
      choices.push([() => f.clock.advance(1000 + Math.floor(random() * 20_000)), 1]);
      // Rarely, an invocation stalls past the function timeout (it is killed at its next call).
      choices.push([() => f.clock.advance(FUNCTION_TIMEOUT_MS + Math.floor(random() * 30_000)), 0.05]);
    } else if (visible.length > 0 && random() < 0.2) {
      choices.push([() => f.clock.advance(Math.floor(random() * 30_000)), 1]);
    }
    pick(random, choices)();
  }

  function release(task: Task): void {
    const waiting = task.waiting;
    task.waiting = undefined;
    waiting?.release();
  }

  // Whatever is left running at the step limit is abandoned; the invariants say what it left undone.
  const violations = await checkInvariants(f, scenario, {
    createdBy,
    cancelledBy,
    finishesApplied,
    unknownOperations,
    livelock: steps > MAX_STEPS,
  });
  const reportsByOperation = countBy(f.reporter.outcomes.map((operation) => operation.operationId));
  return {
    seed,
    scenario: scenario.name,
    violations,
    trace,
    stats: {
      operations: new Set(scenario.requests.map((request) => request.requestId)).size,
      deliveries,
      steps,
      faults,
      crashes,
      reportedMoreThanOnce: [...reportsByOperation.values()].filter((count) => count > 1).length,
      simulatedMinutes: Math.round((f.clock.now() - start) / 60_000),
    },
  };
}

/** Lets every running invocation reach its next port call (or its end): the fakes answer in microtasks only. */
async function quiesce(tasks: ReadonlySet<Task>): Promise<void> {
  for (let round = 0; round < 100; round += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    if ([...tasks].every((task) => task.waiting !== undefined || task.done)) return;
  }
  throw new Error('explorer: an invocation neither finished nor reached a port call');
}

async function checkInvariants(
  f: Fixture,
  scenario: Scenario,
  evidence: {
    readonly createdBy: ReadonlyMap<string, string | undefined>;
    readonly cancelledBy: ReadonlySet<string>;
    readonly finishesApplied: ReadonlyMap<string, number>;
    readonly unknownOperations: readonly string[];
    readonly livelock: boolean;
  },
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, detail: string) => violations.push({ kind, detail });
  if (evidence.livelock) add('livelock', `no end after ${MAX_STEPS} scheduling steps`);
  for (const operationId of evidence.unknownOperations) add('unknown-operation', `a message for ${operationId}`);

  const operationIds = [...new Set(scenario.requests.map((request) => request.requestId ?? ''))];
  const reports = countBy(f.reporter.outcomes.map((operation) => operation.operationId));
  const recordedBy = new Map<string, string[]>();
  for (const operationId of operationIds) {
    const operation = await f.ledger.get(operationId);
    if (operation?.outcome === undefined) {
      add('no-outcome', `${operationId} at step ${operation?.step} (${operation?.pending?.kind ?? 'no message'})`);
      continue;
    }
    if ((evidence.finishesApplied.get(operationId) ?? 0) > 1) add('outcome-twice', operationId);
    if ((reports.get(operationId) ?? 0) === 0) add('never-reported', `${operationId} (${operation.outcome})`);
    const verified = operation.request.verify !== undefined && operation.outcome === 'succeeded';
    const reported = f.reporter.outcomes.filter((outcome) => outcome.operationId === operationId);
    if (verified && operation.verification?.result === undefined) {
      add('verification-missing', `${operationId} succeeded without a recorded verification`);
    } else if (verified && reported.some((outcome) => outcome.verification?.result === undefined)) {
      add('verification-missing', `${operationId} reported without its verification`);
    } else if (!verified && operation.verification !== undefined) {
      add('verification-missing', `${operationId} verified after it ${operation.outcome}`);
    }
    if (operation.restoreJobId !== undefined) {
      recordedBy.set(operation.restoreJobId, [...(recordedBy.get(operation.restoreJobId) ?? []), operationId]);
      // The workflow cancels only on timeout: a job it cancelled ends its operation as timed out.
      if (evidence.cancelledBy.has(operation.restoreJobId) && operation.outcome !== 'timedOut') {
        add('timeout-reported-as-cancellation', `${operationId} (${operation.outcome} ${operation.errorCode ?? ''})`);
      }
    }
  }
  for (const [jobId, owners] of recordedBy) {
    if (owners.length > 1) add('shared-job', `${jobId} recorded by ${owners.join(', ')}`);
  }
  // Every job one of our POSTs created is recorded by exactly one operation (the submitter, or another operation
  // restoring the same thing whose own POST did nothing and adopted it). One recorded by nobody is a duplicate when
  // its submitter records another job, else unrecorded.
  for (const [jobId, operationId] of evidence.createdBy) {
    if (operationId === undefined || recordedBy.has(jobId)) continue; // started by hand, or recorded
    const submitter = await f.ledger.get(operationId);
    const ownedBy = f.ledger.jobOwners.get(jobId);
    const recorded = submitter?.restoreJobId;
    const recordedFrom = recorded === undefined ? undefined : evidence.createdBy.get(recorded);
    const adoptedAnother = submitter?.adopted === true && recorded !== undefined && recordedFrom !== operationId;
    const detail =
      `${jobId} submitted by ${operationId} (job# owner: ${ownedBy ?? 'none'}), which records ${recorded ?? 'no job'}` +
      (adoptedAnother
        ? `, adopted, submitted ${recordedFrom === undefined ? 'by hand' : `by ${recordedFrom}`}: adoption did not prefer the operation's own job (issue 12, hole 1)`
        : '');
    add(submitter?.restoreJobId === undefined ? 'unrecorded-job' : 'duplicate-job', detail);
  }
  return violations;
}

/** A run's mix: several operations at once, chosen so they meet (same snapshot, same target, downloads side by side). */
function planScenario(random: () => number, f: Fixture): Scenario {
  const newest = [...(f.atlas.snapshots.get(`${GROUP}/${SOURCE}`) ?? [])].sort((a, b) =>
    String(b.createdAt).localeCompare(String(a.createdAt)),
  )[0];
  const snapshotId = newest?.id ?? 'latest';
  const shape = pick(random, [
    ['same snapshot, downloads side by side', 3],
    ['same target', 3],
    ['download started by hand too', 2],
    ['timeouts', 2],
    ['Atlas outage', 1],
    ['mixed', 3],
  ] as const);
  const id = (index: number) => `op-${index}`;
  const download = (index: number, extra: Partial<RestoreRequest> = {}) =>
    requests.download({ requestId: id(index), ...(random() < 0.5 ? { snapshotId } : {}), ...extra });
  const automated = (index: number, extra: Partial<RestoreRequest> = {}) =>
    requests.automated({ requestId: id(index), ...extra });
  const count = 2 + Math.floor(random() * 2);
  let list: RestoreRequest[];
  let byHand: Scenario['byHand'];
  let outage: Scenario['outage'];
  switch (shape) {
    case 'same snapshot, downloads side by side':
      list = Array.from({ length: count }, (_, index) =>
        requests.download({ requestId: id(index), snapshotId: random() < 0.7 ? snapshotId : 'latest' }),
      );
      break;
    case 'same target':
      list = Array.from({ length: count }, (_, index) => automated(index));
      break;
    case 'download started by hand too':
      list = [requests.download({ requestId: id(0), snapshotId }), download(1)];
      byHand = { atMs: Math.floor(random() * 120_000), body: { deliveryType: 'download', snapshotId } };
      break;
    case 'timeouts':
      list = Array.from({ length: count }, (_, index) =>
        random() < 0.6 ? download(index, { maxWaitMinutes: 3 + Math.floor(random() * 5) }) : automated(index),
      );
      break;
    case 'Atlas outage': {
      list = Array.from({ length: count }, (_, index) => (random() < 0.5 ? download(index) : automated(index)));
      const fromMs = Math.floor(random() * 10 * 60_000);
      outage = { fromMs, toMs: fromMs + Math.floor((0.5 + random() * 4) * 3_600_000) };
      break;
    }
    default:
      list = Array.from({ length: count + 1 }, (_, index) =>
        pick(random, [
          [() => automated(index), 3],
          [() => download(index), 3],
          [() => requests.pointInTime({ requestId: id(index) }), 1],
          [() => automated(index, { dryRun: true }), 1],
          [() => download(index, { maxWaitMinutes: 4 }), 1],
          [() => automated(index, { verify: {} }), 2],
        ] as const)(),
      );
  }
  const resent = new Set<number>();
  list.forEach((_, index) => {
    if (random() < 0.25) resent.add(index);
  });
  const restoreMs = pick(random, [
    [2 * 60_000, 2],
    [5 * 60_000, 2],
    [20 * 60_000, 1],
  ] as const);
  const cancelOnTimeout = random() < 0.6;
  return {
    name: `${shape}: ${list.map((request) => `${request.requestId}=${request.deliveryType}${request.maxWaitMinutes ? `/${request.maxWaitMinutes}min` : ''}${request.dryRun ? '/dry' : ''}${request.verify ? '/verify' : ''}`).join(' ')}${resent.size ? `, resent ${[...resent].join(',')}` : ''}, restore ${restoreMs / 60_000} min${cancelOnTimeout ? ', CANCEL_ON_TIMEOUT' : ''}`,
    requests: list,
    resent,
    restoreMs,
    cancelOnTimeout,
    // Within VERIFY_MAX_MINUTES (30) or past it (unknown); no draw, so that the other shapes' seeds stay as they were.
    verifierAnswerMs: list.length % 2 === 0 ? 3 * 60_000 : 45 * 60_000,
    faultRate: 0.04 + random() * 0.08,
    crashRate: 0.01 + random() * 0.05,
    duplicateRate: random() * 0.3,
    ...(byHand ? { byHand } : {}),
    ...(outage ? { outage } : {}),
  };
}

function operationOf(body: string): string | undefined {
  try {
    const value = JSON.parse(body) as { operationId?: unknown; requestId?: unknown };
    const id = value.operationId ?? value.requestId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function describe(body: string): string {
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    return 'v' in value ? `${value.kind} ${value.operationId} step ${value.step}` : `request ${value.requestId}`;
  } catch {
    return 'unreadable';
  }
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** A failing run, as printed: the seed, how to replay it alone, what broke, and the end of its trace. */
export function formatFailure(result: ExplorationResult, traceLines = 80): string {
  return [
    `seed ${result.seed} (${result.scenario})`,
    `  replay alone: EXPLORER_SEED=${result.seed} npx vitest run test/explorer`,
    ...result.violations.map((violation) => `  ${violation.kind}: ${violation.detail}`),
    '  trace (last lines):',
    ...result.trace.slice(-traceLines).map((line) => `    ${line}`),
  ].join('\n');
}
