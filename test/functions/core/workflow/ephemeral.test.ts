import { describe, expect, it } from 'vitest';
import { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import type { Cluster } from '../../../../functions/core/atlas/model.ts';
import type { EphemeralTarget } from '../../../../functions/core/contract/ephemeral-target.ts';
import type { RestoreRequest } from '../../../../functions/core/contract/restore-request.ts';
import { ephemeralClusterName, ephemeralClusterTags } from '../../../../functions/core/workflow/ephemeral/naming.ts';
import { REAPER_MARGIN_MS } from '../../../../functions/core/workflow/ephemeral/provision.ts';
import { LEFTOVER_AFTER_MS } from '../../../../functions/core/workflow/ephemeral/teardown.ts';
import type { Reporter } from '../../../../functions/core/workflow/ports.ts';
import { createRestoreService, type RestoreService } from '../../../../functions/core/workflow/service.ts';
import {
  atlasError,
  crashAfter,
  type Fixture,
  fixture,
  GROUP,
  type QueuedMessage,
  RecordingReaper,
  requests,
  SimulatedCrash,
  SOURCE,
} from './fakes.ts';
import { drain, runRequest } from './harness.ts';
import { FakeVerifier } from './verifier-fake.ts';

const DRILL_PROJECT = '6a1b2c3d4e5f6a7b8c9d0e1f';
const OPERATION = 'drill-2026-11-28';

/** The source as getCluster describes it (ClusterDescription20240805): what the target's spec is derived from. */
const sourceDescription: Partial<Cluster> = {
  clusterType: 'REPLICASET',
  mongoDBMajorVersion: '7.0',
  replicationSpecs: [
    {
      id: undefined,
      zoneName: undefined,
      regionConfigs: [
        {
          providerName: 'AWS',
          regionName: 'EU_WEST_1',
          priority: 7,
          electableSpecs: { instanceSize: 'M30', nodeCount: 3, diskSizeGB: 40 },
        },
      ],
    },
  ],
};

function ephemeralFixture(
  config: Parameters<typeof fixture>[0] extends infer O ? (O extends { config?: infer C } ? C : never) : never = {},
) {
  const reaper = new RecordingReaper();
  const f = fixture({
    config: { allowedDrillProjects: [DRILL_PROJECT], tierPricesUsdPerHour: { M30: 0.54, M10: 0.08 }, ...config },
    deps: { reaperSchedules: reaper },
  });
  f.atlas.addCluster(GROUP, SOURCE, sourceDescription);
  // As Atlas: about 10 minutes CREATING, a few DELETING.
  Object.assign(f.atlas.clusterLifecycle, { createMs: 10 * 60_000, deleteMs: 5 * 60_000 });
  return { f, reaper };
}

function ephemeralRequest(
  target: Partial<EphemeralTarget> = {},
  overrides: Partial<RestoreRequest> = {},
): RestoreRequest {
  const {
    targetGroupId: _g,
    targetClusterName: _n,
    ...request
  } = requests.automated({ requestId: OPERATION, ...overrides });
  return { ...request, ephemeralTarget: { groupId: DRILL_PROJECT, ...target } };
}

const clusterName = ephemeralClusterName({ groupId: DRILL_PROJECT }, OPERATION);
const clusterKey = `${DRILL_PROJECT}/${clusterName}`;

async function outcomeOf(f: Fixture) {
  return f.ledger.get(OPERATION);
}

/** Delivers messages in due order, as drain does, until the next is a `kind` step message: left queued, returned. */
async function deliverUntil(f: Fixture, service: RestoreService, kind: string): Promise<QueuedMessage> {
  for (;;) {
    f.queue.messages.sort((a, b) => a.dueAt - b.dueAt);
    const next = f.queue.messages[0];
    if (next === undefined) throw new Error(`no ${kind} message came`);
    if ((JSON.parse(next.body) as { kind?: string }).kind === kind) return next;
    await deliverNext(f, service);
  }
}

/** Delivers the earliest message at `at` (default: when due, or now if later); resolves to what the step threw. */
async function deliverNext(f: Fixture, service: RestoreService, at?: number): Promise<unknown> {
  const message = f.queue.takeNext();
  if (message === undefined) throw new Error('no message queued');
  f.clock.set(at ?? message.dueAt);
  return service.handleMessage(message.body, { messageId: message.id }, { deadline: Date.now() + 60_000 }).then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A reporter of a deployment without the optional ephemeral alarms. */
const reporterWithoutAlarms = (): Reporter => ({ outcome() {}, deferred() {}, rejected() {} });

/** Runs the request until its chain dies at the first poll: the reaper's schedule is all that is left. */
async function chainDiesWhilePolling(f: Fixture, service: RestoreService): Promise<void> {
  f.queue.put(JSON.stringify(ephemeralRequest()));
  await deliverUntil(f, service, 'poll');
  f.queue.messages.length = 0;
}

const reap = JSON.stringify({ v: 1, kind: 'reap', operationId: OPERATION });

describe('Workflow: ephemeral drill targets', () => {
  it('creates the target from the source spec, waits for IDLE, restores into it, deletes it, records each phase and the cost', async () => {
    // Prepare
    const { f, reaper } = ephemeralFixture();

    // Act
    await runRequest(f, ephemeralRequest());

    // Assess: one cluster, created with the source's version, topology and disk, and our tags; then gone
    const operation = await outcomeOf(f);
    expect(operation?.outcome).toBe('succeeded');
    expect(f.atlas.count('createCluster')).toBe(1);
    expect(f.atlas.clusters.has(clusterKey)).toBe(false);
    const jobs = f.atlas.allJobs();
    expect(jobs).toMatchObject([{ targetGroupId: DRILL_PROJECT, targetClusterName: clusterName }]);
    const record = operation?.ephemeralCluster;
    expect(record).toMatchObject({
      groupId: DRILL_PROJECT,
      clusterName,
      createdByOperation: OPERATION,
      instanceSize: 'M30',
      hourlyPriceUsd: 0.54,
    });
    const { claimedAt, createdAt, idleAt, teardownAt, deleteRequestedAt, deletedAt } = record ?? {};
    for (const time of [claimedAt, createdAt, idleAt, teardownAt, deleteRequestedAt, deletedAt])
      expect(time).toBeTypeOf('number');
    // Phases in order: create ≤ IDLE (10 min later) ≤ restore's end ≤ teardown ≤ delete ≤ gone
    expect((idleAt ?? 0) - (createdAt ?? 0)).toBeGreaterThanOrEqual(10 * 60_000);
    expect(operation?.submittedAt).toBeGreaterThanOrEqual(idleAt ?? Number.NaN);
    expect(operation?.restoreEnd?.finishedAt).toBeLessThanOrEqual(teardownAt ?? Number.NaN);
    expect((deletedAt ?? 0) - (deleteRequestedAt ?? 0)).toBeGreaterThanOrEqual(5 * 60_000);
    const hours = ((deletedAt ?? 0) - (createdAt ?? 0)) / 3_600_000;
    expect(record?.clusterHours).toBeCloseTo(hours, 1);
    expect(record?.estimatedCostUsd).toBeCloseTo(hours * 0.54, 1);
    expect(operation?.outcomeReason).toBe(`restore job ${jobs[0]?.id} completed`);
    // The reaper was set before the create, and cancelled once the cluster was gone
    expect(reaper.calls.map((call) => call.kind)).toEqual(['schedule', 'cancel']);
    expect(reaper.calls[0]?.at).toBe((operation?.deadlineAt ?? 0) + 900_000 + REAPER_MARGIN_MS);
    expect(reaper.scheduled.size).toBe(0);
    expect(f.reporter.outcomes).toHaveLength(1);
  });

  it('creates the cluster with the spec Atlas needs of a restore target, and overrides tier, provider, region and disk', async () => {
    // Prepare
    const { f } = ephemeralFixture();
    let created: unknown;
    const createCluster = f.atlas.createCluster.bind(f.atlas);
    f.atlas.createCluster = async (groupId, request, options) => {
      created = request;
      return createCluster(groupId, request, options);
    };

    // Act
    await runRequest(
      f,
      ephemeralRequest({ instanceSize: 'M10', providerName: 'GCP', regionName: 'EUROPE_WEST_1', diskSizeGB: 60 }),
    );

    // Assess
    expect(created).toEqual({
      name: clusterName,
      clusterType: 'REPLICASET',
      shardCount: 1,
      mongoDBMajorVersion: '7.0',
      providerName: 'GCP',
      regionName: 'EUROPE_WEST_1',
      instanceSize: 'M10',
      diskSizeGB: 60,
      nodeCount: 3,
      backupEnabled: false,
      tags: [
        { key: 'atlas-restore-operation', value: OPERATION },
        { key: 'atlas-restore-created-by', value: 'atlas-restore-orchestrator' },
      ],
    });
  });

  it('verifies the restored target before deleting it, and records both in the one outcome', async () => {
    // Prepare
    const { f } = ephemeralFixture();
    const verifier = new FakeVerifier(f.clock);
    const deps = { ...f.deps, ledger: verifier.observe(f.ledger), verificationQueue: verifier };
    f.queue.put(JSON.stringify(ephemeralRequest({}, { verify: {} })));

    // Act
    await drain(f, createRestoreService(deps));

    // Assess: create, IDLE, restore, verify, delete, in that order
    const operation = await outcomeOf(f);
    const verifyAsked = verifier.received.find(({ message }) => message.kind === 'verify')?.at ?? Number.NaN;
    const recordedAt = operation?.verification?.result?.recordedAt ?? Number.NaN;
    expect(operation?.outcome).toBe('succeeded');
    expect(operation?.verification?.status).toBe('recorded');
    expect(verifyAsked).toBeGreaterThanOrEqual(operation?.restoreEnd?.finishedAt ?? Number.NaN);
    expect(operation?.ephemeralCluster?.deleteRequestedAt).toBeGreaterThanOrEqual(recordedAt);
    expect(operation?.ephemeralCluster?.deletedAt).toBeTypeOf('number');
    expect(f.reporter.outcomes).toHaveLength(1);
    expect(f.reporter.outcomes[0]?.ephemeralCluster?.deletedAt).toBeTypeOf('number');
  });

  it('keeps the cluster for holdMinutes after a successful restore before deleting it', async () => {
    // Prepare
    const { f } = ephemeralFixture();

    // Act
    await runRequest(f, ephemeralRequest({ holdMinutes: 90 }));

    // Assess: 90 minutes is past SQS's 15: wait hops carry it
    const operation = await outcomeOf(f);
    const end = operation?.restoreEnd?.finishedAt ?? 0;
    expect(operation?.outcome).toBe('succeeded');
    expect(operation?.ephemeralCluster?.deleteRequestedAt).toBeGreaterThanOrEqual(end + 90 * 60_000);
    expect(f.queue.sent.some((sent) => sent.message.kind === 'wait' && sent.message.next === 'teardown')).toBe(true);
  });

  it('tears the cluster down after a failed restore too, at once, the outcome the restore had', async () => {
    // Prepare
    const { f } = ephemeralFixture();
    f.atlas.jobOutcome = 'failed';

    // Act
    await runRequest(f, ephemeralRequest({ holdMinutes: 600 }));

    // Assess
    const operation = await outcomeOf(f);
    expect(operation).toMatchObject({ outcome: 'failed', errorCode: 'RESTORE_JOB_FAILED' });
    expect(operation?.ephemeralCluster?.deleteRequestedAt).toBeLessThan(
      (operation?.restoreEnd?.finishedAt ?? 0) + 120_000,
    );
    expect(f.atlas.clusters.has(clusterKey)).toBe(false);
  });

  describe('ends before its restore (issue 18)', () => {
    it('times out while the target is still CREATING: deletes it first, then records the timeout with its code', async () => {
      // Prepare: the cluster takes an hour to be IDLE; the request waits 30 minutes.
      const { f, reaper } = ephemeralFixture();
      f.atlas.clusterLifecycle.createMs = 60 * 60_000;

      // Act
      const report = await runRequest(f, ephemeralRequest({}, { maxWaitMinutes: 30 }));

      // Assess: no restore; the cluster is gone before the one outcome, which keeps the timeout's code.
      const operation = await outcomeOf(f);
      expect(report.redriven).toEqual([]);
      expect(f.atlas.allJobs()).toEqual([]);
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
      expect(operation).toMatchObject({ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' });
      expect(operation?.finishedAt).toBeGreaterThanOrEqual(operation?.deadlineAt ?? Number.NaN);
      expect(operation?.ephemeralCluster?.deletedAt).toBeGreaterThan(operation?.finishedAt ?? Number.NaN);
      expect(f.reporter.outcomes).toMatchObject([{ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' }]);
      expect(reaper.scheduled.size).toBe(0);
    });

    it('times out under its own submit claim (an unanswered POST made nothing): deletes the target, POSTs once', async () => {
      // Prepare: IDLE after 10 minutes; the POST then fails in flight without effect, and the claim's lease (15 min)
      // outlasts what is left of maxWait (12 min).
      const { f } = ephemeralFixture();
      f.atlas.failNext('createRestoreJob', () =>
        atlasError('createBackupRestoreJob', undefined, undefined, { ambiguous: true, retryable: true }),
      );

      // Act
      const report = await runRequest(f, ephemeralRequest({}, { maxWaitMinutes: 12 }));

      // Assess: the delivery holding the claim may move the operation on to its teardown.
      const operation = await outcomeOf(f);
      expect(report.redriven).toEqual([]);
      expect(f.atlas.count('createRestoreJob')).toBe(1);
      expect(f.atlas.allJobs()).toEqual([]);
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
      expect(operation).toMatchObject({ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' });
      expect(operation?.ephemeralCluster?.deletedAt).toBeTypeOf('number');
    });

    it('records a create Atlas refused at once, as not created: there is nothing to tear down', async () => {
      // Prepare
      const { f, reaper } = ephemeralFixture();
      f.atlas.failNext('createCluster', () => atlasError('createCluster', 400, 'INVALID_CLUSTER_CONFIGURATION'));

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess
      const operation = await outcomeOf(f);
      expect(operation).toMatchObject({ outcome: 'failed', errorCode: 'INVALID_CLUSTER_CONFIGURATION' });
      expect(operation?.ephemeralCluster?.createRefused).toBe('INVALID_CLUSTER_CONFIGURATION');
      expect(operation?.ephemeralCluster?.deletedAt).toBeUndefined();
      expect(f.queue.sent.map(({ message }) => message.kind)).not.toContain('teardown');
      expect(f.atlas.count('deleteCluster')).toBe(0);
      expect(reaper.scheduled.size).toBe(0);
    });
  });

  it('writes the ledger once for each verify, hold and teardown step that hands on, the advance marking its message sent', async () => {
    // Prepare: verify, a hold past SQS's 15-minute delay (wait hops), and a delete that takes minutes; ledger writes
    // are counted by the kind of message being handled.
    const { f } = ephemeralFixture();
    const verifier = new FakeVerifier(f.clock);
    const deliveries: { kind: string; writes: string[] }[] = [];
    const counted = new Proxy(verifier.observe(f.ledger), {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (property !== 'get' && property !== 'listOperations') deliveries.at(-1)?.writes.push(String(property));
          return value.apply(target, args);
        };
      },
    });
    const service = createRestoreService({ ...f.deps, ledger: counted, verificationQueue: verifier });
    const observed = {
      ...service,
      handleMessage: (body: string, origin: { messageId: string }, invocation: { deadline: number }) => {
        deliveries.push({ kind: (JSON.parse(body) as { kind?: string }).kind ?? 'request', writes: [] });
        return service.handleMessage(body, origin, invocation);
      },
    };
    f.queue.put(JSON.stringify(ephemeralRequest({ holdMinutes: 90 }, { verify: {} })));

    // Act
    await drain(f, observed);

    // Assess
    const afterRestore = deliveries.filter(({ kind }) => ['verify', 'wait', 'teardown'].includes(kind));
    const handedOn = afterRestore.filter(({ writes }) => !writes.includes('finish'));
    expect((await outcomeOf(f))?.outcome).toBe('succeeded');
    expect(afterRestore.at(-1)?.writes).toEqual(['finish', 'markReported']);
    expect(new Set(handedOn.map(({ kind }) => kind))).toEqual(new Set(['verify', 'wait', 'teardown']));
    for (const { writes } of handedOn) expect(writes).toEqual(['advance']);
  });

  describe('refuses before creating anything', () => {
    it.each([
      ['a disk smaller than the source', { diskSizeGB: 20 }, {}, 'EPHEMERAL_DISK_TOO_SMALL'],
      [
        'a project not in ALLOWED_DRILL_PROJECTS',
        { groupId: '7b2c3d4e5f6a7b8c9d0e1f2a' },
        {},
        'DRILL_PROJECT_NOT_ALLOWED',
      ],
      ['a drill over the monthly budget', {}, { drillMonthlyBudgetUsd: 5 }, 'DRILL_BUDGET_EXCEEDED'],
      [
        'a tier without a price under a budget',
        { instanceSize: 'M40' },
        { drillMonthlyBudgetUsd: 1000 },
        'DRILL_PRICE_UNKNOWN',
      ],
    ] as const)('%s', async (_name, target, config, code) => {
      // Prepare
      const { f, reaper } = ephemeralFixture(config);

      // Act
      await runRequest(f, ephemeralRequest(target));

      // Assess
      expect(await outcomeOf(f)).toMatchObject({ outcome: 'refused', errorCode: code });
      expect(f.atlas.count('createCluster')).toBe(0);
      expect(reaper.calls).toEqual([]);
      expect((await outcomeOf(f))?.ephemeralCluster).toBeUndefined();
    });

    it('a source whose topology Atlas cannot copy (GEOSHARDED)', async () => {
      // Prepare
      const { f } = ephemeralFixture();
      f.atlas.addCluster(GROUP, SOURCE, { ...sourceDescription, clusterType: 'GEOSHARDED' });

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess
      expect(await outcomeOf(f)).toMatchObject({ outcome: 'refused', errorCode: 'EPHEMERAL_TOPOLOGY_UNSUPPORTED' });
      expect(f.atlas.count('createCluster')).toBe(0);
    });

    it('counts the cluster-hours this source already spent this month against the budget', async () => {
      // Prepare: maxWait 1590 min, the margin and the lease (75 min) at 0.54 USD/h is 14.99 USD: within 15 alone
      const near = (requestId: string) => ephemeralRequest({}, { requestId, maxWaitMinutes: 1590, dryRun: true });
      const fresh = ephemeralFixture({ drillMonthlyBudgetUsd: 15 });
      const { f } = ephemeralFixture({ drillMonthlyBudgetUsd: 15 });
      await runRequest(f, ephemeralRequest({}, { maxWaitMinutes: 60 }));
      expect((await outcomeOf(f))?.ephemeralCluster?.estimatedCostUsd).toBeGreaterThan(0.01);

      // Act
      await runRequest(fresh.f, near('drill-alone'));
      await runRequest(f, near('drill-after'));

      // Assess: the same drill fits a fresh month, not one with the first drill's cluster-hours
      expect((await fresh.f.ledger.get('drill-alone'))?.outcome).toBe('dryRun');
      const after = await f.ledger.get('drill-after');
      expect(after).toMatchObject({ outcome: 'refused', errorCode: 'DRILL_BUDGET_EXCEEDED' });
      expect(after?.outcomeReason).toContain('cost 0.');
    });

    it('without a reaper', async () => {
      // Prepare
      const f = fixture({ config: { allowedDrillProjects: [DRILL_PROJECT] } });
      f.atlas.addCluster(GROUP, SOURCE, sourceDescription);

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess
      expect(await outcomeOf(f)).toMatchObject({ outcome: 'refused', errorCode: 'EPHEMERAL_REAPER_MISSING' });
      expect((await outcomeOf(f))?.outcomeReason).not.toBe('');
      expect(f.atlas.count('createCluster')).toBe(0);
    });

    it('a dry run reports what it would create and creates nothing', async () => {
      // Prepare
      const { f, reaper } = ephemeralFixture();

      // Act
      const report = await runRequest(f, ephemeralRequest({}, { dryRun: true }));

      // Assess
      const operation = await outcomeOf(f);
      expect(operation?.outcome).toBe('dryRun');
      expect(report.failures).toEqual([]);
      expect(operation?.outcomeReason).toContain(
        `would create cluster ${clusterName} in project ${DRILL_PROJECT} (M30, MongoDB 7.0`,
      );
      expect(f.atlas.count('createCluster')).toBe(0);
      expect(reaper.calls).toEqual([]);
    });
  });

  describe('provisioning', () => {
    it('schedules the reaper past the deadline, the longest verification, the hold, one claim lease and a margin', async () => {
      // Prepare
      const { f, reaper } = ephemeralFixture();
      const verifier = new FakeVerifier(f.clock);
      const deps = { ...f.deps, ledger: verifier.observe(f.ledger), verificationQueue: verifier };
      f.queue.put(JSON.stringify(ephemeralRequest({ holdMinutes: 30 }, { verify: {} })));

      // Act
      await drain(f, createRestoreService(deps));

      // Assess
      const deadlineAt = (await outcomeOf(f))?.deadlineAt ?? Number.NaN;
      const { verifyMaxMinutes, claimLeaseSeconds } = f.config;
      expect(reaper.calls[0]?.at).toBe(
        deadlineAt + verifyMaxMinutes * 60_000 + 30 * 60_000 + claimLeaseSeconds * 1000 + REAPER_MARGIN_MS,
      );
    });

    it.each([
      ['created', (_f: Fixture): void => {}],
      [
        'adopted',
        (f: Fixture): void =>
          f.atlas.failNext(
            'createCluster',
            () => atlasError('createCluster', undefined, undefined, { ambiguous: true }),
            {
              afterEffect: true,
            },
          ),
      ],
    ] as const)(
      "counts the create and each look at a target it %s among the operation's polls",
      async (_name, setup) => {
        // Prepare
        const { f } = ephemeralFixture();
        setup(f);
        let reads = 0;
        const getCluster = f.atlas.getCluster.bind(f.atlas);
        f.atlas.getCluster = async (ref, options) => {
          if (ref.clusterName === clusterName) reads += 1;
          return getCluster(ref, options);
        };
        const service = createRestoreService(f.deps);
        f.queue.put(JSON.stringify(ephemeralRequest()));

        // Act: until the restore is submitted
        await deliverUntil(f, service, 'poll');

        // Assess: one poll for the create (or for the look that adopted), one for each look while waiting for IDLE; the
        // restore's own check of its target reads the cluster once more
        const adopted = (await outcomeOf(f))?.ephemeralCluster?.adopted === true;
        expect(adopted).toBe(_name === 'adopted');
        expect((await outcomeOf(f))?.polls).toBe(reads - (adopted ? 1 : 0));
      },
    );

    it("counts only this source's spend against its monthly budget", async () => {
      // Prepare: another source's drill spent first; then this source's drill that alone just fits (see the budget test)
      const { f } = ephemeralFixture({ drillMonthlyBudgetUsd: 15 });
      f.atlas.addCluster(GROUP, 'other', sourceDescription);
      f.atlas.addSnapshot(GROUP, 'other', { status: 'completed', ageMs: 3600_000 });
      await runRequest(f, ephemeralRequest({}, { requestId: 'drill-other', clusterName: 'other', maxWaitMinutes: 60 }));
      expect((await f.ledger.get('drill-other'))?.ephemeralCluster?.estimatedCostUsd).toBeGreaterThan(0.01);

      // Act
      await runRequest(f, ephemeralRequest({}, { requestId: 'drill-this', maxWaitMinutes: 1590, dryRun: true }));

      // Assess
      expect((await f.ledger.get('drill-this'))?.outcome).toBe('dryRun');
    });

    it('ends as timed out at the deadline itself when the target is still CREATING, and deletes it', async () => {
      // Prepare: Atlas takes 10 hours to create it; maxWait is one hour
      const { f } = ephemeralFixture();
      f.atlas.clusterLifecycle.createMs = 10 * 3600_000;

      // Act
      const report = await runRequest(f, ephemeralRequest({}, { maxWaitMinutes: 60 }));

      // Assess
      const operation = await outcomeOf(f);
      expect(operation).toMatchObject({ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' });
      expect(operation?.finishedAt).toBe(operation?.deadlineAt);
      expect(report.failures).toEqual([]);
      expect(f.atlas.count('createRestoreJob')).toBe(0);
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
    });

    it('ends as timed out, creating nothing and scheduling no reaper, when the request comes again only at the deadline', async () => {
      // Prepare: the first delivery fails at the source's lookup (an outage), before anything is claimed
      const { f, reaper } = ephemeralFixture();
      const service = createRestoreService(f.deps);
      const request = JSON.stringify(ephemeralRequest({}, { maxWaitMinutes: 60 }));
      f.atlas.failNext('getCluster', () => atlasError('getCluster', 503));
      f.queue.put(request);
      expect(await deliverNext(f, service)).toBeInstanceOf(AtlasApiError);
      f.queue.put(request, 60 * 60_000);

      // Act: the queue delivers it again at the deadline itself
      const failure = await deliverNext(f, service);

      // Assess
      expect(failure).toBeUndefined();
      expect(await outcomeOf(f)).toMatchObject({ outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' });
      expect(f.atlas.count('createCluster')).toBe(0);
      expect(reaper.calls).toEqual([]);
    });

    it('fails when the target vanishes before it is IDLE', async () => {
      // Prepare: someone deletes it while it is CREATING
      const { f } = ephemeralFixture();
      const service = createRestoreService(f.deps);
      f.queue.put(JSON.stringify(ephemeralRequest()));
      await deliverUntil(f, service, 'start');
      f.atlas.clusters.delete(clusterKey);

      // Act
      const report = await drain(f, service);

      // Assess
      expect(await outcomeOf(f)).toMatchObject({ outcome: 'failed', errorCode: 'EPHEMERAL_TARGET_GONE' });
      expect(f.atlas.count('createRestoreJob')).toBe(0);
      expect(report.failures).toEqual([]);
    });

    it('takes an Atlas outage while waiting for IDLE for an outage, not for a vanished target', async () => {
      // Prepare
      const { f } = ephemeralFixture();
      const service = createRestoreService(f.deps);
      f.queue.put(JSON.stringify(ephemeralRequest()));
      await deliverUntil(f, service, 'start');
      f.atlas.failNext('getCluster', () => atlasError('getCluster', 503));

      // Act
      await drain(f, service);

      // Assess
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
    });

    it.each([
      ['its error code', 400, 'INVALID_ATTRIBUTE', 'INVALID_ATTRIBUTE'],
      ['HTTP and the status, without an error code', 400, undefined, 'HTTP_400'],
      ['HTTP_ERROR, without a status (no answer, not to be retried)', undefined, undefined, 'HTTP_ERROR'],
    ] as const)(
      'fails with %s when Atlas refuses the create, deleting nothing',
      async (_name, status, errorCode, expected) => {
        // Prepare
        const { f, reaper } = ephemeralFixture();
        f.atlas.failNext('createCluster', () => atlasError('createCluster', status, errorCode, { retryable: false }));

        // Act
        const report = await runRequest(f, ephemeralRequest());

        // Assess
        const operation = await outcomeOf(f);
        expect(operation).toMatchObject({ outcome: 'failed', errorCode: expected });
        expect(operation?.ephemeralCluster?.createRefused).toBe(expected);
        expect(f.atlas.count('deleteCluster')).toBe(0);
        expect(reaper.scheduled.size).toBe(0);
        expect(report.failures).toEqual([]);
      },
    );

    it.each([
      ['without our tags', {}],
      // Atlas's answer as it might come: tags that are not key/value pairs
      ['with tags we cannot read', { tags: [{ key: 'owner' }] } as unknown as Partial<Cluster>],
    ] as const)(
      'refuses, creating and deleting nothing, when a cluster of its name exists %s',
      async (_name, patch) => {
        // Prepare: someone else's cluster already has the name
        const { f, reaper } = ephemeralFixture();
        f.atlas.addCluster(DRILL_PROJECT, clusterName, patch);

        // Act
        const report = await runRequest(f, ephemeralRequest());

        // Assess
        const operation = await outcomeOf(f);
        expect(operation).toMatchObject({ outcome: 'failed', errorCode: 'EPHEMERAL_NAME_TAKEN' });
        expect(operation?.ephemeralCluster?.adopted).toBeUndefined();
        expect(f.atlas.count('deleteCluster')).toBe(0);
        expect(f.atlas.count('createRestoreJob')).toBe(0);
        expect(f.atlas.clusters.has(clusterKey)).toBe(true);
        expect(reaper.scheduled.size).toBe(0);
        expect(report.failures).toEqual([]);
      },
    );
  });

  describe('crashes and duplicates', () => {
    it('creates one cluster and records one outcome when every message is delivered twice at once', async () => {
      // Prepare
      const { f } = ephemeralFixture();

      // Act
      await runRequest(f, ephemeralRequest(), { duplicate: () => true });

      // Assess
      expect(f.atlas.count('createCluster')).toBe(1);
      expect(f.atlas.count('deleteCluster')).toBeLessThanOrEqual(2);
      expect(f.atlas.count('createRestoreJob')).toBe(1);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
      expect(new Set(f.reporter.outcomes.map((o) => o.operationId)).size).toBe(1);
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
    });

    it('adopts the cluster a create whose answer was lost made, after the claim lease, instead of creating a second (its hours from its creation)', async () => {
      // Prepare
      const { f } = ephemeralFixture();
      f.atlas.failNext('createCluster', () => atlasError('createCluster', undefined, undefined, { ambiguous: true }), {
        afterEffect: true,
      });
      // No answer, and the cluster not visible yet when looked up at once
      const getCluster = f.atlas.getCluster.bind(f.atlas);
      let hidden = 1;
      f.atlas.getCluster = async (ref, options) => {
        if (ref.clusterName === clusterName && hidden-- > 0) throw atlasError('getCluster', 404, 'CLUSTER_NOT_FOUND');
        return getCluster(ref, options);
      };

      const lookups: number[] = [];
      const lookup = f.atlas.getCluster;
      f.atlas.getCluster = async (ref, options) => {
        if (ref.clusterName === clusterName) lookups.push(f.clock.now());
        return lookup(ref, options);
      };

      // Act
      const report = await runRequest(f, ephemeralRequest());

      // Assess: after the lookup at once, the next waits out the claim's lease, and no longer; the cluster's hours
      // count from its creation (when the lost create took effect), not from its adoption
      const operation = await outcomeOf(f);
      const claimedAt = operation?.ephemeralCluster?.claimedAt ?? Number.NaN;
      expect(lookups[1]).toBe(claimedAt + f.config.claimLeaseSeconds * 1000);
      expect(operation?.ephemeralCluster?.createdAt).toBe(claimedAt);
      expect(report.failures.map(({ error }) => (error as { code?: string }).code)).toContain(
        'CLUSTER_CREATE_IN_PROGRESS',
      );
      // The failed delivery of the lost create names Atlas's error as its cause (for the operator's log)
      const unconfirmed = report.failures.find(
        ({ error }) => (error as { code?: string }).code === 'CLUSTER_CREATE_UNCONFIRMED',
      );
      expect((unconfirmed?.error as Error | undefined)?.cause).toBeInstanceOf(AtlasApiError);
      expect(f.atlas.count('createCluster')).toBe(1);
      expect(operation?.ephemeralCluster?.adopted).toBe(true);
      expect(operation?.outcome).toBe('succeeded');
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
    });

    it('adopts at once the cluster a create whose answer was lost made, when Atlas already shows it', async () => {
      // Prepare: the create takes effect, its answer is lost
      const { f } = ephemeralFixture();
      f.atlas.failNext('createCluster', () => atlasError('createCluster', undefined, undefined, { ambiguous: true }), {
        afterEffect: true,
      });

      // Act
      const report = await runRequest(f, ephemeralRequest());

      // Assess: no delivery failed (no wait for the claim's lease)
      expect(report.failures).toEqual([]);
      expect(f.atlas.count('createCluster')).toBe(1);
      expect((await outcomeOf(f))?.ephemeralCluster?.adopted).toBe(true);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
    });

    it('creates again, after the claim lease, when Atlas answered the create with a passing failure', async () => {
      // Prepare
      const { f } = ephemeralFixture();
      f.atlas.failNext('createCluster', () => atlasError('createCluster', 503));

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess
      expect(f.atlas.count('createCluster')).toBe(2);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
    });

    it('looks again, rather than creating a second, when the lookup of a possibly created cluster fails', async () => {
      // Prepare: the process dies right after the create; after the claim's lease, the first lookup fails
      const { f } = ephemeralFixture();
      const failNextLookup = () => {
        f.atlas.failNext('getCluster', () => atlasError('getCluster', 503));
        return true;
      };
      const service = createRestoreService({ ...f.deps, atlas: crashAfter(f.atlas, 'createCluster', failNextLookup) });

      f.queue.put(JSON.stringify(ephemeralRequest()));

      // Act
      await drain(f, service);

      // Assess
      expect(f.atlas.count('createCluster')).toBe(1);
      expect((await outcomeOf(f))?.ephemeralCluster?.adopted).toBe(true);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
    });

    it('fails, creating nothing and cancelling the reaper, when the source changed so that a resumed create is refused', async () => {
      // Prepare: the process dies after the claim and the reaper's schedule, before the create; then the source
      // becomes GEOSHARDED, a topology Atlas cannot copy
      const { f, reaper } = ephemeralFixture();
      const service = createRestoreService({ ...f.deps, reaperSchedules: crashAfter(reaper, 'schedule') });
      const request = JSON.stringify(ephemeralRequest());
      f.queue.put(request);
      expect(await deliverNext(f, service)).toBeInstanceOf(SimulatedCrash);
      f.atlas.addCluster(GROUP, SOURCE, { ...sourceDescription, clusterType: 'GEOSHARDED' });
      f.queue.put(request, f.config.claimLeaseSeconds * 1000);

      // Act: delivered again after the claim's lease
      const failure = await deliverNext(f, service);

      // Assess
      expect(failure).toBeUndefined();
      const operation = await outcomeOf(f);
      expect(operation).toMatchObject({ outcome: 'failed', errorCode: 'EPHEMERAL_TOPOLOGY_UNSUPPORTED' });
      expect(operation?.ephemeralCluster?.createRefused).toBe('EPHEMERAL_TOPOLOGY_UNSUPPORTED');
      expect(f.atlas.count('createCluster')).toBe(0);
      expect(reaper.calls.at(-1)?.kind).toBe('cancel');
      expect(reaper.scheduled.size).toBe(0);
    });

    it('still creates, restores and deletes a claimed target when the deployment that resumes it has no reaper', async () => {
      // Prepare: the process dies after the claim and the reaper's schedule; the next deployment has no reaper port
      const { f, reaper } = ephemeralFixture();
      const crashing = createRestoreService({ ...f.deps, reaperSchedules: crashAfter(reaper, 'schedule') });
      const request = JSON.stringify(ephemeralRequest());
      f.queue.put(request);
      expect(await deliverNext(f, crashing)).toBeInstanceOf(SimulatedCrash);
      const { reaperSchedules: _reaper, ...withoutReaper } = f.deps;
      f.queue.put(request, f.config.claimLeaseSeconds * 1000);

      // Act: delivered again after the claim's lease
      const report = await drain(f, createRestoreService(withoutReaper));

      // Assess
      expect(report.failures).toEqual([]);
      expect(f.atlas.count('createCluster')).toBe(1);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
    });

    it('adopts rather than creates when the process dies right after the create', async () => {
      // Prepare
      const { f } = ephemeralFixture();
      const service = createRestoreService({ ...f.deps, atlas: crashAfter(f.atlas, 'createCluster') });
      f.queue.put(JSON.stringify(ephemeralRequest()));

      // Act
      await drain(f, service);

      // Assess
      expect(f.atlas.count('createCluster')).toBe(1);
      expect((await outcomeOf(f))?.ephemeralCluster?.adopted).toBe(true);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
    });

    it.each([
      ['after the create', (kind: string) => kind === 'start', 1],
      ['while waiting for IDLE', (kind: string) => kind === 'start', 3],
      ['while polling the restore', (kind: string) => kind === 'poll', 1],
      ['during the teardown', (kind: string) => kind === 'teardown', 1],
    ] as const)(
      'a chain that dies %s: the reap message deletes the cluster and records the outcome itself',
      async (_n, kind, nth) => {
        // Prepare: the chain's messages of this kind vanish from the nth on (the chain dies)
        const { f, reaper } = ephemeralFixture();
        const service = createRestoreService(f.deps);
        f.queue.put(JSON.stringify(ephemeralRequest()));
        let seen = 0;
        for (;;) {
          const message = f.queue.takeNext();
          if (message === undefined) break;
          const parsed = JSON.parse(message.body) as { kind?: string };
          if (parsed.kind !== undefined && kind(parsed.kind) && ++seen >= nth) {
            f.queue.messages.length = 0;
            break;
          }
          f.clock.set(message.dueAt);
          await service.handleMessage(message.body, { messageId: message.id }, { deadline: Date.now() + 60_000 });
        }
        expect((await outcomeOf(f))?.outcome).toBeUndefined();
        const at = reaper.scheduled.get(OPERATION);
        expect(at).toBeDefined();

        // Act: the reaper's schedule fires
        f.clock.set(at ?? 0);
        f.queue.put(JSON.stringify({ v: 1, kind: 'reap', operationId: OPERATION }));
        const sent = f.queue.sent.length;
        await drain(f, service);

        // Assess: the reaper records the outcome itself (the chain it stands in for is dead), with the restore's RTO
        // when the restore had ended
        const operation = await outcomeOf(f);
        expect(f.queue.sent.length).toBe(sent);
        expect(operation?.rtoSeconds).toBe(operation?.restoreEnd?.rtoSeconds);
        expect(f.atlas.clusters.has(clusterKey)).toBe(false);
        expect(operation).toMatchObject({ outcome: 'reaped', errorCode: 'REAPED' });
        expect(operation?.ephemeralCluster?.deletedAt).toBeTypeOf('number');
        expect(f.reporter.outcomes.map((o) => o.outcome)).toEqual(['reaped']);
        expect(f.reporter.ephemeralAlarms.map((alarm) => alarm.kind)).toContain('leftover');
      },
    );

    it('a reap message after a normal end does nothing, asking Atlas nothing', async () => {
      // Prepare
      const { f } = ephemeralFixture();
      const { service } = await runRequest(f, ephemeralRequest());
      const calls = f.atlas.calls.length;

      // Act
      f.queue.put(JSON.stringify({ v: 1, kind: 'reap', operationId: OPERATION }));
      await drain(f, service);

      // Assess: not even a read of the cluster the ledger records as deleted
      expect(f.atlas.calls.length).toBe(calls);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
      expect(f.reporter.outcomes).toHaveLength(1);
    });
  });

  describe('the reaper', () => {
    it.each([
      ['an operation the ledger no longer holds', async (_f: Fixture): Promise<void> => {}],
      [
        'a request without an ephemeral target',
        async (f: Fixture): Promise<void> => void (await runRequest(f, requests.automated())),
      ],
      [
        'an operation whose create Atlas refused',
        async (f: Fixture): Promise<void> => {
          f.atlas.failNext('createCluster', () => atlasError('createCluster', 400, 'INVALID_ATTRIBUTE'));
          await runRequest(f, ephemeralRequest());
          expect((await outcomeOf(f))?.ephemeralCluster?.createRefused).toBe('INVALID_ATTRIBUTE');
        },
      ],
    ] as const)('does nothing for %s: no Atlas call, no alarm, no outcome', async (_name, before) => {
      // Prepare
      const { f } = ephemeralFixture();
      await before(f);
      const calls = f.atlas.calls.length;
      const outcomes = f.reporter.outcomes.length;

      // Act
      f.queue.put(reap);
      const report = await drain(f, createRestoreService(f.deps));

      // Assess
      expect(report.failures).toEqual([]);
      expect(f.atlas.calls.length).toBe(calls);
      expect(f.reporter.ephemeralAlarms).toEqual([]);
      expect(f.reporter.outcomes).toHaveLength(outcomes);
    });

    it('leaves a cluster the delete path refuses, records no outcome, and counts its Atlas calls', async () => {
      // Prepare: the chain dies; then someone re-tags the cluster
      const { f } = ephemeralFixture();
      const service = createRestoreService(f.deps);
      await chainDiesWhilePolling(f, service);
      const cluster = f.atlas.clusters.get(clusterKey);
      if (cluster) f.atlas.clusters.set(clusterKey, { ...cluster, tags: [] });
      const before = await outcomeOf(f);
      const calls = f.atlas.calls.length;

      // Act
      f.queue.put(reap);
      await drain(f, service);

      // Assess
      const operation = await outcomeOf(f);
      expect(f.atlas.clusters.has(clusterKey)).toBe(true);
      expect(f.atlas.count('deleteCluster')).toBe(0);
      expect(operation?.outcome).toBeUndefined();
      expect(operation?.ephemeralCluster?.deletedAt).toBeUndefined();
      expect(f.reporter.ephemeralAlarms.map((alarm) => alarm.kind)).toEqual(['deleteRefused']);
      expect(operation?.atlasCalls).toBe((before?.atlasCalls ?? 0) + f.atlas.calls.length - calls);
    });

    it('deletes a cluster an earlier teardown refused once its tags are back, keeping the outcome recorded then', async () => {
      // Prepare: the tags are lost while the restore runs (the teardown refuses), then put back
      const { f } = ephemeralFixture();
      const getRestoreJob = f.atlas.getRestoreJob.bind(f.atlas);
      f.atlas.getRestoreJob = async (ref, id, options) => {
        const cluster = f.atlas.clusters.get(clusterKey);
        if (cluster) f.atlas.clusters.set(clusterKey, { ...cluster, tags: [] });
        return getRestoreJob(ref, id, options);
      };
      const { service } = await runRequest(f, ephemeralRequest());
      const cluster = f.atlas.clusters.get(clusterKey);
      if (cluster) f.atlas.clusters.set(clusterKey, { ...cluster, tags: ephemeralClusterTags(OPERATION) });

      // Act
      f.queue.put(reap);
      const report = await drain(f, service);

      // Assess
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
      expect(report.redriven).toEqual([]);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
      expect(f.reporter.outcomes).toHaveLength(1);
    });

    it('gives a reaped cluster whose creation was never recorded no cluster-hours (rather than a made-up number)', async () => {
      // Prepare: the process dies right after the create, and its chain with it
      const { f, reaper } = ephemeralFixture();
      const service = createRestoreService({ ...f.deps, atlas: crashAfter(f.atlas, 'createCluster') });
      f.queue.put(JSON.stringify(ephemeralRequest()));
      await deliverNext(f, service);
      f.queue.messages.length = 0;
      expect((await outcomeOf(f))?.ephemeralCluster?.createdAt).toBeUndefined();

      // Act
      f.clock.set(reaper.scheduled.get(OPERATION) ?? 0);
      f.queue.put(reap);
      await drain(f, service);

      // Assess
      const operation = await outcomeOf(f);
      expect(operation?.outcome).toBe('reaped');
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
      expect(operation?.ephemeralCluster?.deletedAt).toBeTypeOf('number');
      expect(operation?.ephemeralCluster?.clusterHours).toBeUndefined();
    });
  });

  it.each([
    [
      'the teardown reports a leftover',
      (f: Fixture): void => f.atlas.failNext('deleteCluster', () => atlasError('deleteCluster', 503), { times: 12 }),
      'succeeded',
    ],
    ['the reaper finds the cluster of a dead chain', (f: Fixture): void => void f, 'reaped'],
  ] as const)('works in a deployment without ephemeral alarms: %s', async (_name, setup, outcome) => {
    // Prepare
    const { f, reaper } = ephemeralFixture();
    setup(f);
    const service = createRestoreService({ ...f.deps, reporter: reporterWithoutAlarms() });
    if (outcome === 'reaped') {
      await chainDiesWhilePolling(f, service);
      f.clock.set(reaper.scheduled.get(OPERATION) ?? 0);
      f.queue.put(reap);
    } else f.queue.put(JSON.stringify(ephemeralRequest()));

    // Act
    const report = await drain(f, service);

    // Assess
    // Only the reaper's own 'still deleting, deliver me again'
    for (const { error } of report.failures) expect(error).toMatchObject({ code: 'CLUSTER_DELETING' });
    expect((await outcomeOf(f))?.outcome).toBe(outcome);
    expect(f.atlas.clusters.has(clusterKey)).toBe(false);
  });

  describe('teardown', () => {
    it('deletes the cluster in the first teardown step when there is no hold', async () => {
      // Prepare
      const { f } = ephemeralFixture();
      const service = createRestoreService(f.deps);
      f.queue.put(JSON.stringify(ephemeralRequest()));
      await deliverUntil(f, service, 'teardown');

      // Act
      await deliverNext(f, service);

      // Assess
      expect(f.atlas.count('deleteCluster')).toBe(1);
    });

    it('keeps the cluster until its hold is over even when the teardown message comes early', async () => {
      // Prepare: a 10-minute hold; its teardown message is then delivered at once instead of when due
      const { f } = ephemeralFixture();
      const service = createRestoreService(f.deps);
      f.queue.put(JSON.stringify(ephemeralRequest({ holdMinutes: 10 })));
      await deliverUntil(f, service, 'teardown');
      await deliverNext(f, service);
      const teardownAt = (await outcomeOf(f))?.ephemeralCluster?.teardownAt ?? Number.NaN;

      // Act
      await deliverNext(f, service, f.clock.now());

      // Assess: nothing deleted yet; it is at the hold's end
      expect(f.atlas.count('deleteCluster')).toBe(0);
      await drain(f, service);
      expect((await outcomeOf(f))?.ephemeralCluster?.deleteRequestedAt).toBeGreaterThanOrEqual(teardownAt);
    });

    it.each([
      [
        'its deletes fail',
        (f: Fixture): void => f.atlas.failNext('deleteCluster', () => atlasError('deleteCluster', 503), { times: 100 }),
      ],
      [
        'it stays DELETING',
        (f: Fixture): void => void Object.assign(f.atlas.clusterLifecycle, { deleteMs: 3 * 3600_000 }),
      ],
    ] as const)(
      'reports a leftover when %s, from LEFTOVER_AFTER_MS after its teardown began, saying why',
      async (_name, setup) => {
        for (const [offsetMs, alarms] of [
          [LEFTOVER_AFTER_MS - 1000, 0],
          [LEFTOVER_AFTER_MS, 1],
        ] as const) {
          // Prepare
          const { f } = ephemeralFixture();
          setup(f);
          const service = createRestoreService(f.deps);
          f.queue.put(JSON.stringify(ephemeralRequest()));
          await deliverUntil(f, service, 'teardown');
          await deliverNext(f, service);
          const teardownAt = (await outcomeOf(f))?.ephemeralCluster?.teardownAt ?? Number.NaN;

          // Act: the next attempt, at the offset
          await deliverNext(f, service, teardownAt + offsetMs);

          // Assess
          const leftovers = f.reporter.ephemeralAlarms.filter((alarm) => alarm.kind === 'leftover');
          expect(leftovers).toHaveLength(alarms);
          for (const alarm of leftovers) {
            expect(alarm).toMatchObject({ operationId: OPERATION, groupId: DRILL_PROJECT, clusterName });
            expect(alarm.reason).not.toBe('');
          }
        }
      },
    );

    it("counts each teardown read that found the cluster still there among the operation's polls", async () => {
      // Prepare: deletes fail a few times, then the cluster is DELETING for 5 minutes
      const { f } = ephemeralFixture();
      f.atlas.failNext('deleteCluster', () => atlasError('deleteCluster', 503), { times: 3 });
      const service = createRestoreService(f.deps);
      f.queue.put(JSON.stringify(ephemeralRequest()));
      await deliverUntil(f, service, 'teardown');
      const polls = (await outcomeOf(f))?.polls ?? Number.NaN;
      const reads = f.atlas.count('getCluster');

      // Act
      await drain(f, service);

      // Assess: every read but the last (404) found it
      expect((await outcomeOf(f))?.polls).toBe(polls + f.atlas.count('getCluster') - reads - 1);
    });

    it('starts its back-off afresh for an outage after Atlas came back', async () => {
      // Prepare: four failed deletes, one accepted; then one failed read while it is DELETING
      const { f } = ephemeralFixture();
      f.atlas.failNext('deleteCluster', () => atlasError('deleteCluster', 503), { times: 4 });
      let sentWhenAccepted = Number.NaN;
      const deleteCluster = f.atlas.deleteCluster.bind(f.atlas);
      f.atlas.deleteCluster = async (ref, options) => {
        await deleteCluster(ref, options);
        sentWhenAccepted = f.queue.sent.length;
        f.atlas.failNext('getCluster', () => atlasError('getCluster', 503));
      };

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess: after the accepted delete's hand-off, the failed read's retry waits the shortest back-off
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
      expect(f.queue.sent[sentWhenAccepted + 1]).toMatchObject({
        message: { kind: 'teardown' },
        delaySeconds: f.config.pollMinDelaySeconds,
      });
    });

    it('records when the delete was first requested when Atlas still shows the cluster IDLE after accepting it', async () => {
      // Prepare: the first delete is accepted and not yet visible at the next read
      const { f } = ephemeralFixture();
      const requested: number[] = [];
      const deleteCluster = f.atlas.deleteCluster.bind(f.atlas);
      f.atlas.deleteCluster = async (ref, options) => {
        requested.push(f.clock.now());
        if (requested.length > 1) await deleteCluster(ref, options);
      };

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess
      expect(requested).toHaveLength(2);
      expect((await outcomeOf(f))?.ephemeralCluster?.deleteRequestedAt).toBe(requested[0]);
    });

    it('does not ask to delete a cluster someone else is already deleting, and records no request of its own', async () => {
      // Prepare
      const { f } = ephemeralFixture();
      const service = createRestoreService(f.deps);
      f.queue.put(JSON.stringify(ephemeralRequest()));
      await deliverUntil(f, service, 'teardown');
      await f.atlas.deleteCluster({ groupId: DRILL_PROJECT, clusterName });
      const deletes = f.atlas.count('deleteCluster');

      // Act
      await drain(f, service);

      // Assess
      const record = (await outcomeOf(f))?.ephemeralCluster;
      expect(f.atlas.count('deleteCluster')).toBe(deletes);
      expect(record?.deletedAt).toBeTypeOf('number');
      expect(record?.deleteRequestedAt).toBeUndefined();
    });

    it('fails the delivery, to be delivered again, on a failure that is no Atlas answer, and still deletes the cluster', async () => {
      // Prepare: the process dies right after the delete call
      const { f } = ephemeralFixture();
      const service = createRestoreService({ ...f.deps, atlas: crashAfter(f.atlas, 'deleteCluster') });
      f.queue.put(JSON.stringify(ephemeralRequest()));

      // Act
      const report = await drain(f, service);

      // Assess
      expect(report.failures.map(({ error }) => error)).toEqual([expect.any(SimulatedCrash)]);
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
    });

    it('refuses a teardown step whose operation records no cluster, asking Atlas nothing', async () => {
      // Prepare: at the teardown, the ledger item has lost its cluster record
      const { f } = ephemeralFixture();
      const service = createRestoreService(f.deps);
      f.queue.put(JSON.stringify(ephemeralRequest()));
      await deliverUntil(f, service, 'teardown');
      delete f.ledger.items.get(OPERATION)?.ephemeralCluster;
      const calls = f.atlas.calls.length;

      // Act
      const error = await deliverNext(f, service);

      // Assess
      expect(error).toMatchObject({ code: 'OPERATION_INCONSISTENT' });
      expect(f.atlas.calls.length).toBe(calls);
    });

    it('deletes nothing, and records the refusal, when the request at the teardown names no ephemeral target', async () => {
      // Prepare: at the teardown, the ledger item's request has lost its ephemeral target
      const { f } = ephemeralFixture();
      const service = createRestoreService(f.deps);
      f.queue.put(JSON.stringify(ephemeralRequest()));
      await deliverUntil(f, service, 'teardown');
      const item = f.ledger.items.get(OPERATION);
      if (item) item.request = { ...item.request, ephemeralTarget: undefined };

      // Act
      await drain(f, service);

      // Assess
      const operation = await outcomeOf(f);
      expect(f.atlas.count('deleteCluster')).toBe(0);
      expect(operation?.ephemeralCluster?.deleteRefused).toBeTypeOf('string');
      expect(operation?.outcome).toBe('succeeded');
    });

    it('records cluster-hours and no cost for a tier without a price', async () => {
      // Prepare: no price for the source's M30
      const { f } = ephemeralFixture({ tierPricesUsdPerHour: { M10: 0.08 } });

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess
      const record = (await outcomeOf(f))?.ephemeralCluster;
      expect(record?.clusterHours).toBeGreaterThan(0);
      expect(record?.estimatedCostUsd).toBeUndefined();
    });

    it('retries through an Atlas outage and failed deletes until the cluster is gone, reporting a leftover past the bound', async () => {
      // Prepare: deletes fail for longer than the leftover bound
      const { f } = ephemeralFixture();
      f.atlas.failNext('deleteCluster', () => atlasError('deleteCluster', 503), { times: 12 });

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess
      const operation = await outcomeOf(f);
      expect(operation?.outcome).toBe('succeeded');
      expect(f.atlas.count('deleteCluster')).toBe(13);
      expect(f.atlas.clusters.has(clusterKey)).toBe(false);
      expect(
        (operation?.ephemeralCluster?.deletedAt ?? 0) - (operation?.ephemeralCluster?.teardownAt ?? 0),
      ).toBeGreaterThan(LEFTOVER_AFTER_MS);
      expect(f.reporter.ephemeralAlarms.filter((alarm) => alarm.kind === 'leftover').length).toBeGreaterThan(0);
    });

    it('refuses loudly to delete a cluster that lost our tags, records that it did not, and leaves the reaper set', async () => {
      // Prepare: someone re-tags the cluster while the restore runs
      const { f, reaper } = ephemeralFixture();
      const getRestoreJob = f.atlas.getRestoreJob.bind(f.atlas);
      f.atlas.getRestoreJob = async (ref, id, options) => {
        const cluster = f.atlas.clusters.get(clusterKey);
        if (cluster) f.atlas.clusters.set(clusterKey, { ...cluster, tags: [] });
        return getRestoreJob(ref, id, options);
      };

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess
      const operation = await outcomeOf(f);
      expect(f.atlas.count('deleteCluster')).toBe(0);
      expect(f.atlas.clusters.has(clusterKey)).toBe(true);
      expect(operation?.ephemeralCluster?.deleteRefused).toContain('tags');
      expect(operation?.outcome).toBe('succeeded');
      expect(f.reporter.ephemeralAlarms.map((alarm) => alarm.kind)).toEqual(['deleteRefused']);
      expect(f.log.lines.some((line) => line.level === 'error')).toBe(true);
      expect(reaper.scheduled.has(OPERATION)).toBe(true);
    });
  });
});
