/**
 * Issue 12, hole 1: adoption after an attempt died between `ownJob` and the advance that records the job. Built on
 * the workflow fakes with any ledger (the in-memory one, or DynamoDB on dynalite), so both run the same interleaving.
 */
import type { RestoreJob } from '../../../../functions/core/atlas/model.ts';
import type { Operation } from '../../../../functions/core/workflow/operation.ts';
import type { Ledger } from '../../../../functions/core/workflow/ports.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { type Fixture, GROUP, requests, SimulatedCrash, SOURCE } from './fakes.ts';
import { drain } from './harness.ts';

const source = { groupId: GROUP, clusterName: SOURCE };
const invocation = () => ({ deadline: Date.now() + 60_000 });

/** `ledger`, whose advance recording a job dies (before writing) once for `operationId`. */
function crashBeforeRecordingJob(ledger: Ledger, operationId: string): Ledger {
  let crashed = false;
  return new Proxy(ledger, {
    get(object, property) {
      const value = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const bound = value.bind(object);
      if (property !== 'advance') return bound;
      return async (...args: Parameters<Ledger['advance']>) => {
        const [at, , update] = args;
        if (!crashed && at.operationId === operationId && update?.restoreJobId !== undefined) {
          crashed = true;
          throw new SimulatedCrash('before recording the job');
        }
        return bound(...args);
      };
    },
  });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

export interface TwoOperationsResult {
  readonly a: Operation | undefined;
  readonly b: Operation | undefined;
  readonly j3: string;
  readonly j4: string;
  readonly jobs: readonly RestoreJob[];
  readonly owners: ReadonlyMap<string, string | undefined>;
}

/**
 * Two operations download the same snapshot; both list and claim with no prior jobs. A POSTs J3 and dies before
 * recording ownership; B POSTs J4, owns it, and dies before the advance. B is redelivered first (after its lease),
 * then A.
 */
export async function twoOperationsOneSnapshot(
  f: Fixture,
  ledger: Ledger,
  ids = { a: 'download-A', b: 'download-B' },
): Promise<TwoOperationsResult> {
  const requestA = requests.download({ requestId: ids.a });
  const requestB = requests.download({ requestId: ids.b });
  const service = createRestoreService({ ...f.deps, ledger: crashBeforeRecordingJob(ledger, ids.b) });
  const bAtPost = deferred();
  const aPosted = deferred();
  const create = f.atlas.createRestoreJob.bind(f.atlas);
  let calls = 0;
  let bDelivery: Promise<unknown> = Promise.resolve();
  let j3 = '';
  let j4 = '';
  f.atlas.createRestoreJob = async (...args) => {
    calls += 1;
    if (calls === 1) {
      // A is about to POST, holding its claim: B lists (no job yet) and claims, then waits at its own POST.
      bDelivery = service.handleMessage(JSON.stringify(requestB), { messageId: 'm-B' }, invocation());
      await bAtPost.promise;
      j3 = (await create(...args)).id;
      aPosted.resolve();
      throw new SimulatedCrash('after the POST, before recording ownership');
    }
    if (calls === 2) {
      bAtPost.resolve();
      await aPosted.promise;
      const job = await create(...args);
      j4 = job.id;
      return job;
    }
    return create(...args);
  };

  const aDelivery = service.handleMessage(JSON.stringify(requestA), { messageId: 'm-A' }, invocation());
  const [settledA] = await Promise.allSettled([aDelivery]);
  const settled = [settledA, ...(await Promise.allSettled([bDelivery]))];
  if (calls !== 2) throw new Error('both operations must have POSTed');
  if (settled.some((outcome) => outcome.status === 'fulfilled')) throw new Error('both first deliveries must fail');

  // Both messages come back after the claim lease; B's first.
  const lease = f.config.claimLeaseSeconds * 1000;
  f.queue.put(JSON.stringify(requestB), lease + 1_000);
  f.queue.put(JSON.stringify(requestA), lease + 600_000);
  await drain(f, service);

  return {
    a: await ledger.get(ids.a),
    b: await ledger.get(ids.b),
    j3,
    j4,
    jobs: f.atlas.allJobs(),
    owners: new Map(
      await Promise.all(f.atlas.allJobs().map(async (job) => [job.id, await ledger.jobOwner(job.id)] as const)),
    ),
  };
}

export interface ByHandResult {
  readonly operation: Operation | undefined;
  readonly byHand: string;
  readonly ours: string;
  readonly jobs: readonly RestoreJob[];
  readonly owners: ReadonlyMap<string, string | undefined>;
}

/**
 * One operation claims; an operator starts the same download by hand just before our POST; our POST creates J, we
 * own J, then die before the advance. Redelivered after the lease, the operation must record J, not the operator's.
 */
export async function operatorStartsTheSameDownload(
  f: Fixture,
  ledger: Ledger,
  operationId = 'download-A',
): Promise<ByHandResult> {
  const request = requests.download({ requestId: operationId });
  const service = createRestoreService({ ...f.deps, ledger: crashBeforeRecordingJob(ledger, operationId) });
  const create = f.atlas.createRestoreJob.bind(f.atlas);
  let byHand = '';
  let ours = '';
  f.atlas.createRestoreJob = async (ref, body, options) => {
    if (byHand === '') byHand = f.atlas.addJob(source, body).id;
    const job = await create(ref, body, options);
    if (ours === '') ours = job.id;
    return job;
  };

  const first = await Promise.allSettled([
    service.handleMessage(JSON.stringify(request), { messageId: 'm-A' }, invocation()),
  ]);
  if (first[0]?.status !== 'rejected') throw new Error('the first delivery must fail');
  f.queue.put(JSON.stringify(request), f.config.claimLeaseSeconds * 1000 + 1_000);
  await drain(f, service);

  return {
    operation: await ledger.get(operationId),
    byHand,
    ours,
    jobs: f.atlas.allJobs(),
    owners: new Map(
      await Promise.all(f.atlas.allJobs().map(async (job) => [job.id, await ledger.jobOwner(job.id)] as const)),
    ),
  };
}
