import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../../../functions/core/atlas/model.ts';
import type { EphemeralTarget } from '../../../../functions/core/contract/ephemeral-target.ts';
import type { RestoreRequest } from '../../../../functions/core/contract/restore-request.ts';
import { ephemeralClusterName } from '../../../../functions/core/workflow/ephemeral/naming.ts';
import { REAPER_MARGIN_MS } from '../../../../functions/core/workflow/ephemeral/provision.ts';
import { LEFTOVER_AFTER_MS } from '../../../../functions/core/workflow/ephemeral/teardown.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { atlasError, crashAfter, type Fixture, fixture, GROUP, RecordingReaper, requests, SOURCE } from './fakes.ts';
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
      expect(f.atlas.count('createCluster')).toBe(0);
    });

    it('a dry run reports what it would create and creates nothing', async () => {
      // Prepare
      const { f, reaper } = ephemeralFixture();

      // Act
      await runRequest(f, ephemeralRequest({}, { dryRun: true }));

      // Assess
      const operation = await outcomeOf(f);
      expect(operation?.outcome).toBe('dryRun');
      expect(operation?.outcomeReason).toContain(
        `would create cluster ${clusterName} in project ${DRILL_PROJECT} (M30, MongoDB 7.0`,
      );
      expect(f.atlas.count('createCluster')).toBe(0);
      expect(reaper.calls).toEqual([]);
    });
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

    it('adopts the cluster a create whose answer was lost made, after the claim lease, instead of creating a second', async () => {
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

      // Act
      await runRequest(f, ephemeralRequest());

      // Assess
      const operation = await outcomeOf(f);
      expect(f.atlas.count('createCluster')).toBe(1);
      expect(operation?.ephemeralCluster?.adopted).toBe(true);
      expect(operation?.outcome).toBe('succeeded');
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
      'a chain that dies %s: the reap message deletes the cluster and records the outcome',
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
        await drain(f, service);

        // Assess
        const operation = await outcomeOf(f);
        expect(f.atlas.clusters.has(clusterKey)).toBe(false);
        expect(operation).toMatchObject({ outcome: 'reaped', errorCode: 'REAPED' });
        expect(operation?.ephemeralCluster?.deletedAt).toBeTypeOf('number');
        expect(f.reporter.outcomes.map((o) => o.outcome)).toEqual(['reaped']);
        expect(f.reporter.ephemeralAlarms.map((alarm) => alarm.kind)).toContain('leftover');
      },
    );

    it('a reap message after a normal end does nothing', async () => {
      // Prepare
      const { f } = ephemeralFixture();
      const { service } = await runRequest(f, ephemeralRequest());
      const deletes = f.atlas.count('deleteCluster');

      // Act
      f.queue.put(JSON.stringify({ v: 1, kind: 'reap', operationId: OPERATION }));
      await drain(f, service);

      // Assess
      expect(f.atlas.count('deleteCluster')).toBe(deletes);
      expect((await outcomeOf(f))?.outcome).toBe('succeeded');
      expect(f.reporter.outcomes).toHaveLength(1);
    });
  });

  describe('teardown', () => {
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

    it('refuses loudly to delete a cluster that lost our tags, and records that it did not', async () => {
      // Prepare: someone re-tags the cluster while the restore runs
      const { f } = ephemeralFixture();
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
    });
  });
});
