import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AtlasApi, ClusterRef } from '../../../../functions/core/atlas/api.ts';
import type { AtlasApiError } from '../../../../functions/core/atlas/errors.ts';
import type { Cluster } from '../../../../functions/core/atlas/model.ts';
import { workflowConfig } from '../../../../functions/core/config.ts';
import type { EphemeralTarget } from '../../../../functions/core/contract/ephemeral-target.ts';
import { decideDelete, deleteEphemeralCluster } from '../../../../functions/core/workflow/ephemeral/delete-guard.ts';
import {
  CREATOR_TAG_KEY,
  CREATOR_TAG_VALUE,
  ephemeralClusterName,
  namePrefixOf,
  OPERATION_TAG_KEY,
} from '../../../../functions/core/workflow/ephemeral/naming.ts';
import type { EphemeralCluster, Operation } from '../../../../functions/core/workflow/operation.ts';
import type { Reporter } from '../../../../functions/core/workflow/ports.ts';
import { newOperation } from '../../../../functions/core/workflow/service.ts';
import { atlasError, RecordingLog, RecordingReporter, requests } from './fakes.ts';

const PROJECTS = ['6a1b2c3d4e5f6a7b8c9d0e1f', '7b2c3d4e5f6a7b8c9d0e1f2a', '5f1a2b3c4d5e6f7a8b9c0d1e'] as const;
const project = fc.constantFrom(...PROJECTS);
const operationIdArb = fc.oneof(fc.constantFrom('drill-1', 'drill-2'), fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/));
const prefixArb = fc.constantFrom('drill-', 'dr-', 'x');
const tagArb = fc.record({
  key: fc.oneof(fc.constantFrom(OPERATION_TAG_KEY, CREATOR_TAG_KEY, 'env'), fc.string({ minLength: 1, maxLength: 8 })),
  value: fc.oneof(
    fc.constantFrom('drill-1', 'drill-2', CREATOR_TAG_VALUE, 'prod'),
    fc.string({ minLength: 1, maxLength: 8 }),
  ),
});

interface Scenario {
  readonly operationId: string;
  readonly target: EphemeralTarget | undefined;
  readonly record: EphemeralCluster | undefined;
  readonly allowed: readonly string[];
  /** What Atlas says is at the record's address (undefined: 404). */
  readonly atlas: (Cluster & { tags?: unknown }) | undefined;
}

/** The cluster this operation created, as Atlas shows it: every witness agrees. */
const ownScenario: fc.Arbitrary<Scenario> = fc
  .record({
    operationId: operationIdArb,
    prefix: prefixArb,
    groupId: project,
    otherTags: fc.array(
      fc.record({ key: fc.constantFrom('env', 'team'), value: fc.string({ minLength: 1, maxLength: 8 }) }),
      { maxLength: 2 },
    ),
    stateName: fc.constantFrom('IDLE', 'CREATING', 'UPDATING', 'DELETING'),
  })
  .map(({ operationId, prefix, groupId, otherTags, stateName }) => {
    const target = { groupId, namePrefix: prefix };
    const name = ephemeralClusterName(target, operationId);
    const tags = [
      { key: OPERATION_TAG_KEY, value: operationId },
      { key: CREATOR_TAG_KEY, value: CREATOR_TAG_VALUE },
      ...otherTags,
    ];
    return {
      operationId,
      target,
      record: {
        groupId,
        clusterName: name,
        createdByOperation: operationId,
        claimToken: 'e1',
        claimedAt: 0,
        instanceSize: 'M10',
        createdAt: 1,
      },
      allowed: [groupId],
      atlas: { name, stateName, paused: false, pitEnabled: false, clusterType: 'REPLICASET', tags } as Cluster,
    };
  });

type Corruption = (s: Scenario) => fc.Arbitrary<Scenario>;
const withTags = (s: Scenario, change: (tags: { key: string; value: string }[]) => unknown): Scenario =>
  s.atlas
    ? {
        ...s,
        atlas: { ...s.atlas, tags: change([...((s.atlas.tags as { key: string; value: string }[]) ?? [])]) } as Cluster,
      }
    : s;
const otherName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);

/** One witness broken each: the request, the ledger, the configuration, Atlas's name and tags. */
const corruptions: Corruption[] = [
  (s) => fc.constant({ ...s, target: undefined }),
  (s) => project.map((groupId) => ({ ...s, target: s.target && { ...s.target, groupId } })),
  (s) => prefixArb.map((namePrefix) => ({ ...s, target: s.target && { ...s.target, namePrefix } })),
  (s) => fc.constant({ ...s, record: undefined }),
  (s) => project.map((groupId) => ({ ...s, record: s.record && { ...s.record, groupId } })),
  (s) => otherName.map((clusterName) => ({ ...s, record: s.record && { ...s.record, clusterName } })),
  (s) =>
    operationIdArb.map((createdByOperation) => ({ ...s, record: s.record && { ...s.record, createdByOperation } })),
  (s) => fc.constant({ ...s, record: s.record && { ...s.record, createRefused: 'QUOTA' } }),
  (s) => fc.subarray([...PROJECTS]).map((allowed) => ({ ...s, allowed })),
  (s) => fc.constant({ ...s, atlas: undefined }),
  // The ledger and Atlas agree on a cluster with our prefix that is not this operation's (another drill's name)
  (s) =>
    otherName.map((other) => {
      const name = `${s.target ? namePrefixOf(s.target) : ''}${other}`;
      return {
        ...s,
        record: s.record && { ...s.record, clusterName: name },
        atlas: s.atlas && ({ ...s.atlas, name } as Cluster),
      };
    }),
  (s) => otherName.map((name) => ({ ...s, atlas: s.atlas && ({ ...s.atlas, name } as Cluster) })),
  (s) => fc.constant(withTags(s, (tags) => tags.filter((tag) => tag.key !== OPERATION_TAG_KEY))),
  (s) => fc.constant(withTags(s, (tags) => tags.filter((tag) => tag.key !== CREATOR_TAG_KEY))),
  (s) => operationIdArb.map((other) => withTags(s, (tags) => [...tags, { key: OPERATION_TAG_KEY, value: other }])),
  (s) =>
    operationIdArb.map((other) =>
      withTags(s, (tags) => tags.map((tag) => (tag.key === OPERATION_TAG_KEY ? { ...tag, value: other } : tag))),
    ),
  (s) => fc.constant(withTags(s, () => 'not a list')),
  (s) => fc.array(tagArb, { maxLength: 4 }).map((tags) => withTags(s, () => tags)),
];

/** Arbitrary names, projects, tags and ledger states: the own scenario with one or several witnesses broken. */
const scenario: fc.Arbitrary<Scenario> = ownScenario.chain((own) =>
  fc
    .array(fc.integer({ min: 0, max: corruptions.length - 1 }), { minLength: 1, maxLength: 4 })
    .chain((picks) =>
      picks.reduce<fc.Arbitrary<Scenario>>(
        (current, pick) => current.chain((s) => (corruptions[pick] as Corruption)(s)),
        fc.constant(own),
      ),
    ),
);

function operationOf(s: Scenario): Operation {
  const { targetGroupId: _g, targetClusterName: _n, ...request } = requests.automated({ requestId: s.operationId });
  const base = newOperation(
    { ...request, ...(s.target ? { ephemeralTarget: s.target } : {}), requestId: s.operationId },
    0,
    workflowConfig(),
    't0',
  );
  return { ...base, ...(s.record ? { ephemeralCluster: s.record } : {}) };
}

/**
 * An Atlas that answers getCluster with the scenario's cluster, wherever asked, and records deletes; `failures` makes
 * getCluster or deleteCluster fail instead.
 */
function scriptedAtlas(s: Scenario, failures: { getCluster?: AtlasApiError; deleteCluster?: AtlasApiError } = {}) {
  const deletes: ClusterRef[] = [];
  const api = {
    async getCluster() {
      if (failures.getCluster) throw failures.getCluster;
      if (s.atlas === undefined) throw atlasError('getCluster', 404, 'CLUSTER_NOT_FOUND');
      return structuredClone(s.atlas);
    },
    async deleteCluster(ref: ClusterRef) {
      if (failures.deleteCluster) throw failures.deleteCluster;
      deletes.push(ref);
    },
  } as unknown as AtlasApi;
  return { api, deletes };
}

/** Independently of the code under test: whether this operation provably created what was deleted. */
function provablyOurs(s: Scenario, ref: ClusterRef): boolean {
  const { target, record, atlas } = s;
  if (target === undefined || record === undefined || atlas === undefined || record.createRefused !== undefined)
    return false;
  const prefix = target.namePrefix ?? 'drill-';
  const tags = Array.isArray(atlas.tags) ? (atlas.tags as { key: string; value: string }[]) : [];
  return (
    s.allowed.includes(ref.groupId) &&
    ref.groupId === target.groupId &&
    ref.groupId === record.groupId &&
    ref.clusterName === record.clusterName &&
    record.createdByOperation === s.operationId &&
    atlas.name === ref.clusterName &&
    ref.clusterName === ephemeralClusterName(target, s.operationId) &&
    ref.clusterName.startsWith(prefix) &&
    tags.some((tag) => tag.key === OPERATION_TAG_KEY && tag.value === s.operationId) &&
    tags.some((tag) => tag.key === CREATOR_TAG_KEY && tag.value === CREATOR_TAG_VALUE) &&
    !tags.some((tag) => tag.key === OPERATION_TAG_KEY && tag.value !== s.operationId)
  );
}

async function run(
  s: Scenario,
  failures: Parameters<typeof scriptedAtlas>[1] = {},
  reporter: Reporter = new RecordingReporter(),
) {
  const { api, deletes } = scriptedAtlas(s, failures);
  const log = new RecordingLog();
  const result = await deleteEphemeralCluster(
    { api, config: workflowConfig({ allowedDrillProjects: s.allowed }), log, reporter },
    operationOf(s),
  );
  return { result, deletes, log };
}

describe('Ephemeral targets: the delete path', () => {
  it('never deletes a cluster this operation did not provably create (20,000 generated)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(scenario, ownScenario), async (s) => {
        const { deletes } = await run(s);
        for (const ref of deletes) expect(provablyOurs(s, ref)).toBe(true);
        expect(deletes.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 20_000 },
    );
  });

  it('decides to delete only what this operation provably created, in whichever project Atlas is asked (5,000 generated)', () => {
    fc.assert(
      fc.property(fc.oneof(scenario, ownScenario), project, (s, groupId) => {
        if (s.atlas === undefined) return;
        const config = workflowConfig({ allowedDrillProjects: s.allowed });
        const decision = decideDelete(groupId, s.atlas, operationOf(s), config);
        const ref = { groupId, clusterName: s.record?.clusterName ?? '' };
        if (decision.allowed) expect(provablyOurs(s, ref)).toBe(true);
        else expect(decision.reason).not.toBe('');
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuses loudly (an error line and an alarm naming the cluster, and why) whenever it finds a cluster it may not delete (5,000 generated)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const reporter = new RecordingReporter();
        const { result, log } = await run(s, {}, reporter);
        if (result.state !== 'refused') return;
        expect(result.reason).not.toBe('');
        expect(log.lines.filter((line) => line.level === 'error')).toHaveLength(1);
        // No record names no cluster: the alarm then says none rather than a guess
        const where = { groupId: s.record?.groupId ?? '', clusterName: s.record?.clusterName ?? '' };
        expect(reporter.ephemeralAlarms).toEqual([
          { kind: 'deleteRefused', operationId: s.operationId, ...where, reason: result.reason },
        ]);
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuses without failing when the deployment reports no ephemeral alarms', async () => {
    // Prepare: a reporter without the optional ephemeralAlarm, and a cluster that lost our tags
    const s = withTags(own(), () => []);
    const reporter: Reporter = { outcome() {}, deferred() {}, rejected() {} };

    // Act
    const { result, deletes } = await run(s, {}, reporter);

    // Assess
    expect(result.state).toBe('refused');
    expect(deletes).toEqual([]);
  });

  it('passes an Atlas error other than 404 on to its caller (which retries), deleting nothing', async () => {
    // Act
    const reading = run(own(), { getCluster: atlasError('getCluster', 503) });

    // Assess
    await expect(reading).rejects.toMatchObject({ status: 503 });
  });

  it('answers gone when the cluster vanishes between the read and the delete', async () => {
    // Act
    const { result } = await run(own(), { deleteCluster: atlasError('deleteCluster', 404, 'CLUSTER_NOT_FOUND') });

    // Assess
    expect(result).toEqual({ state: 'gone' });
  });

  it('deletes its own cluster, and only asks once while Atlas shows it DELETING (2,000 generated)', async () => {
    await fc.assert(
      fc.asyncProperty(ownScenario, async (s) => {
        const { result, deletes } = await run(s);
        const deleting = s.atlas?.stateName === 'DELETING';
        expect(result).toEqual({ state: 'deleting', requested: !deleting });
        expect(deletes).toHaveLength(deleting ? 0 : 1);
      }),
      { numRuns: 2_000 },
    );
  });

  it('answers gone, deleting nothing, when Atlas has no such cluster', async () => {
    // Prepare
    const s: Scenario = { ...own(), atlas: undefined };

    // Act
    const { result, deletes } = await run(s);

    // Assess
    expect(result).toEqual({ state: 'gone' });
    expect(deletes).toEqual([]);
  });
});

/** This operation's own IDLE cluster, every witness agreeing (drill-1 in the first project). */
function own(): Scenario {
  const target = { groupId: PROJECTS[0] };
  const name = ephemeralClusterName(target, 'drill-1');
  return {
    operationId: 'drill-1',
    target,
    record: {
      groupId: PROJECTS[0],
      clusterName: name,
      createdByOperation: 'drill-1',
      claimToken: 'e1',
      claimedAt: 0,
      instanceSize: 'M10',
      createdAt: 1,
    },
    allowed: [PROJECTS[0]],
    atlas: {
      name,
      stateName: 'IDLE',
      paused: false,
      pitEnabled: false,
      clusterType: 'REPLICASET',
      tags: [
        { key: OPERATION_TAG_KEY, value: 'drill-1' },
        { key: CREATOR_TAG_KEY, value: CREATOR_TAG_VALUE },
      ],
    } as Cluster,
  };
}
