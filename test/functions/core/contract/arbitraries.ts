import fc from 'fast-check';
import {
  MAX_WAIT_MINUTES_LIMIT,
  MIN_POINT_IN_TIME_SECONDS,
  RESTORE_REQUEST_KEYS,
} from '../../../../functions/core/contract/restore-request.ts';

export const hex24 = fc.stringMatching(/^[a-f0-9]{24}$/);
export const clusterNameArb = fc
  .tuple(fc.stringMatching(/^[a-zA-Z0-9]$/), fc.stringMatching(/^[a-zA-Z0-9-]{0,63}$/))
  .map(([first, rest]) => first + rest);
export const requestIdArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);
/**
 * When generated requests are received: the workflow fakes' clock start (2026-11-28T06:00:00Z). Valid points in time
 * are in its past (a later one is refused as in the future, a rule the JSON Schema cannot state).
 */
export const RECEIVED_AT_MS = Date.UTC(2026, 10, 28, 6, 0, 0);
const epochSeconds = fc.integer({ min: MIN_POINT_IN_TIME_SECONDS, max: RECEIVED_AT_MS / 1000 });

const common = {
  groupId: hex24,
  clusterName: clusterNameArb,
  requestId: requestIdArb,
  maxWaitMinutes: fc.integer({ min: 1, max: MAX_WAIT_MINUTES_LIMIT }),
  dryRun: fc.boolean(),
};
const commonRequired = ['groupId', 'clusterName'] as const;
const snapshotIdArb = fc.oneof(hex24, fc.constant('latest'));

const automated = fc.record(
  {
    ...common,
    deliveryType: fc.constant('automated' as const),
    snapshotId: snapshotIdArb,
    targetGroupId: hex24,
    targetClusterName: clusterNameArb,
  },
  { requiredKeys: [...commonRequired, 'deliveryType', 'targetGroupId', 'targetClusterName'] },
);

const download = fc.record(
  { ...common, deliveryType: fc.constant('download' as const), snapshotId: snapshotIdArb },
  { requiredKeys: [...commonRequired, 'deliveryType'] },
);

const pointInTime = fc
  .tuple(
    fc.record(
      {
        ...common,
        deliveryType: fc.constant('pointInTime' as const),
        targetGroupId: hex24,
        targetClusterName: clusterNameArb,
      },
      { requiredKeys: [...commonRequired, 'deliveryType', 'targetGroupId', 'targetClusterName'] },
    ),
    fc.oneof(
      epochSeconds.map((pointInTimeUTCSeconds) => ({ pointInTimeUTCSeconds })),
      fc.record({ oplogTs: epochSeconds, oplogInc: fc.integer({ min: 1, max: 2 ** 31 }) }),
    ),
  )
  .map(([base, when]) => ({ ...base, ...when }));

/** An ephemeral drill target, optional fields present or not. */
export const ephemeralTargetArb = fc.record(
  {
    groupId: hex24,
    namePrefix: fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,12}$/),
    instanceSize: fc.stringMatching(/^(M|R)[1-9][0-9]{1,2}(_NVME)?$/),
    providerName: fc.constantFrom('AWS', 'GCP', 'AZURE'),
    regionName: fc.stringMatching(/^[A-Z][A-Z0-9_]{1,20}$/),
    diskSizeGB: fc.integer({ min: 10, max: 14_400 }),
    holdMinutes: fc.integer({ min: 0, max: 1440 }),
  },
  { requiredKeys: ['groupId'] },
);

/** Automated and point-in-time requests that bring their own target instead of naming one. */
const ephemeral = fc.tuple(fc.oneof(automated, pointInTime), ephemeralTargetArb).map(([request, ephemeralTarget]) => {
  const { targetGroupId: _group, targetClusterName: _name, ...rest } = request;
  return { ...rest, ephemeralTarget };
});

/** Every shape of valid request: each delivery type, optional fields present or not. */
export const validRequest = fc.oneof(automated, download, pointInTime, ephemeral);
export type GeneratedRequest = Record<string, unknown> & { deliveryType: 'automated' | 'download' | 'pointInTime' };

/** A string that is not a 24-hex id. */
const notHex24 = fc.oneof(
  fc.stringMatching(/^[A-F0-9]{24}$/),
  fc.stringMatching(/^[a-f0-9]{1,23}$/),
  fc.stringMatching(/^[a-f0-9]{25,30}$/),
  fc.string().filter((value) => !/^[a-f0-9]{24}$/.test(value)),
);
const notClusterName = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^-[a-zA-Z0-9-]{0,10}$/),
  fc.stringMatching(/^[a-z]{1,5}[_. /][a-z]{1,5}$/),
  fc.stringMatching(/^[a-z]{65,80}$/),
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);

export interface Mutation {
  readonly value: unknown;
  /** Paths of which at least one must be named, with its rule when given. */
  readonly expect: readonly { readonly path: string; readonly rule?: string }[];
  readonly name: string;
}

type Mutator = (request: GeneratedRequest) => fc.Arbitrary<Mutation>;

const set =
  (name: string, field: string, values: fc.Arbitrary<unknown>, rule?: string): Mutator =>
  (request) =>
    values.map((value) => ({
      name,
      value: { ...request, [field]: value },
      expect: [{ path: field, ...(rule ? { rule } : {}) }],
    }));

const without = (request: GeneratedRequest, ...fields: string[]) =>
  Object.fromEntries(Object.entries(request).filter(([key]) => !fields.includes(key)));

const mutators: Mutator[] = [
  set('bad groupId', 'groupId', notHex24),
  set('bad clusterName', 'clusterName', notClusterName),
  set(
    'bad deliveryType',
    'deliveryType',
    fc.string().filter((v) => !['automated', 'download', 'pointInTime'].includes(v)),
    'invalid_value',
  ),
  set(
    'bad requestId',
    'requestId',
    fc.oneof(
      fc.constant(''),
      fc.stringMatching(/^[a-z]{0,5}[ /#?é][a-z]{0,5}$/),
      fc.stringMatching(/^[a-z]{129,140}$/),
    ),
  ),
  set(
    'bad maxWaitMinutes',
    'maxWaitMinutes',
    fc.oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: MAX_WAIT_MINUTES_LIMIT + 1 }),
      fc.double({ min: 1.01, max: 100, noInteger: true }),
    ),
  ),
  set('bad dryRun', 'dryRun', fc.oneof(fc.constant('true'), fc.integer(), fc.constant(null))),
  set('wrong type for groupId', 'groupId', wrongType, 'invalid_type'),
  set('wrong type for clusterName', 'clusterName', wrongType, 'invalid_type'),
  (request) =>
    fc.constantFrom('groupId', 'clusterName', 'deliveryType').map((field) => ({
      name: 'missing required field',
      value: without(request, field),
      expect: [{ path: field, rule: 'required' }],
    })),
  (request) =>
    fc
      .string({ minLength: 1, maxLength: 20 })
      // `v`, `detail` and `detail-type` make a message an internal one or an event (see classifyWorkMessage).
      .filter(
        (key) => !RESTORE_REQUEST_KEYS.includes(key) && !['__proto__', 'v', 'detail', 'detail-type'].includes(key),
      )
      .map((key) => ({
        name: 'unknown key',
        value: { ...request, [key]: 1 },
        expect: [{ path: key, rule: 'unrecognized_keys' }],
      })),
  (request) => {
    if (request.deliveryType === 'download') {
      return fc.constantFrom('targetGroupId', 'targetClusterName').chain((field) =>
        (field === 'targetGroupId' ? hex24 : clusterNameArb).map((value) => ({
          name: 'target on a download',
          value: { ...request, [field]: value },
          expect: [{ path: field, rule: 'refused_for_download' }],
        })),
      );
    }
    if ('ephemeralTarget' in request) {
      return fc.oneof(
        fc.constant({
          name: 'neither target nor ephemeralTarget',
          value: without(request, 'ephemeralTarget'),
          expect: [{ path: 'targetGroupId', rule: 'required' }],
        }),
        fc.constantFrom('targetGroupId', 'targetClusterName').map((field) => ({
          name: 'target with ephemeralTarget',
          value: { ...request, [field]: field === 'targetGroupId' ? '5f1a2b3c4d5e6f7a8b9c0d1e' : 'dr-drill' },
          expect: [{ path: field, rule: 'not_with_ephemeral_target' }],
        })),
      );
    }
    return fc.constantFrom('targetGroupId', 'targetClusterName').map((field) => ({
      name: 'missing target',
      value: without(request, field),
      expect: [{ path: field, rule: 'required' }],
    }));
  },
  (request) => {
    if (request.deliveryType === 'download') {
      return ephemeralTargetArb.map((ephemeralTarget) => ({
        name: 'ephemeralTarget on a download',
        value: { ...request, ephemeralTarget },
        expect: [{ path: 'ephemeralTarget', rule: 'refused_for_download' }],
      }));
    }
    const target = (request.ephemeralTarget as Record<string, unknown> | undefined) ?? {
      groupId: '5f1a2b3c4d5e6f7a8b9c0d1e',
    };
    const base = 'ephemeralTarget' in request ? request : without(request, 'targetGroupId', 'targetClusterName');
    const broken = (field: string, values: fc.Arbitrary<unknown>) =>
      values.map((value) => ({
        name: `bad ephemeralTarget.${field}`,
        value: { ...base, ephemeralTarget: { ...target, [field]: value } },
        expect: [{ path: `ephemeralTarget.${field}` }],
      }));
    return fc.oneof(
      broken('groupId', notHex24),
      broken(
        'namePrefix',
        fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9-][a-z]{0,5}$/), fc.stringMatching(/^[a-z]{14,20}$/)),
      ),
      broken('instanceSize', fc.constantFrom('M0', 'M2', 'M5', 'FLEX', 'm10', 'M10x')),
      broken('providerName', fc.constantFrom('TENANT', 'aws', 'SERVERLESS')),
      broken('diskSizeGB', fc.oneof(fc.integer({ max: 9 }), fc.integer({ min: 14_401 }))),
      broken('holdMinutes', fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 1441 }), fc.constant(1.5))),
      fc
        .string({ minLength: 1, maxLength: 8 })
        .filter(
          (key) =>
            ![
              'groupId',
              'namePrefix',
              'instanceSize',
              'providerName',
              'regionName',
              'diskSizeGB',
              'holdMinutes',
              '__proto__',
            ].includes(key),
        )
        .map((key) => ({
          name: 'unknown key in ephemeralTarget',
          value: { ...base, ephemeralTarget: { ...target, [key]: 1 } },
          expect: [{ path: `ephemeralTarget.${key}`, rule: 'unrecognized_keys' }],
        })),
    );
  },
  (request) => {
    if (request.deliveryType !== 'pointInTime') {
      return fc
        .constantFrom('pointInTimeUTCSeconds', 'oplogTs', 'oplogInc')
        .chain((field) => epochSeconds.map((value) => ({ field, value })))
        .map(({ field, value }) => ({
          name: 'point in time on another delivery type',
          value: { ...request, [field]: value },
          expect: [{ path: field, rule: 'point_in_time_only' }],
        }));
    }
    const bySeconds = 'pointInTimeUTCSeconds' in request;
    return fc.oneof(
      epochSeconds.map((seconds) => ({
        name: 'both point-in-time forms',
        value: bySeconds
          ? { ...request, oplogTs: seconds, oplogInc: 1 }
          : { ...request, pointInTimeUTCSeconds: seconds },
        expect: [{ path: 'pointInTimeUTCSeconds', rule: 'one_point_in_time' }],
      })),
      fc.constant({
        name: 'no point in time',
        value: without(request, 'pointInTimeUTCSeconds', 'oplogTs', 'oplogInc'),
        expect: [{ path: 'pointInTimeUTCSeconds', rule: 'required' }],
      }),
      snapshotIdArb.map((snapshotId) => ({
        name: 'snapshotId with pointInTime',
        value: { ...request, snapshotId },
        expect: [{ path: 'snapshotId', rule: 'not_with_point_in_time' }],
      })),
      fc.integer({ min: 0, max: MIN_POINT_IN_TIME_SECONDS - 1 }).map((seconds) => ({
        name: 'point in time too early',
        value: bySeconds ? { ...request, pointInTimeUTCSeconds: seconds } : { ...request, oplogTs: seconds },
        expect: [{ path: bySeconds ? 'pointInTimeUTCSeconds' : 'oplogTs', rule: 'too_small' }],
      })),
      epochSeconds.map((seconds) => ({
        name: 'point in time in milliseconds',
        value: bySeconds
          ? { ...request, pointInTimeUTCSeconds: seconds * 1000 }
          : { ...request, oplogTs: seconds * 1000 },
        expect: [{ path: bySeconds ? 'pointInTimeUTCSeconds' : 'oplogTs', rule: 'looks_like_milliseconds' }],
      })),
      fc.constant(
        bySeconds
          ? {
              name: 'fractional seconds',
              value: { ...request, pointInTimeUTCSeconds: 1_764_300_000.5 },
              expect: [{ path: 'pointInTimeUTCSeconds' }],
            }
          : {
              name: 'oplogInc without oplogTs',
              value: without(request, 'oplogTs'),
              expect: [{ path: 'oplogTs', rule: 'required' }],
            },
      ),
      fc.integer({ max: 0 }).map((inc) => ({
        name: 'oplogInc below 1',
        value: { ...without(request, 'pointInTimeUTCSeconds'), oplogTs: 1_764_300_000, oplogInc: inc },
        expect: [{ path: 'oplogInc', rule: 'too_small' }],
      })),
    );
  },
  (request) =>
    request.deliveryType === 'pointInTime'
      ? fc.constant({
          name: 'bad snapshotId (pit)',
          value: { ...request, snapshotId: 'x' },
          expect: [{ path: 'snapshotId' }],
        })
      : notHex24
          .filter((value) => value !== 'latest')
          .map((snapshotId) => ({
            name: 'bad snapshotId',
            value: { ...request, snapshotId },
            expect: [{ path: 'snapshotId' }],
          })),
];

/** A valid request broken in one way, with the field (and rule) the rejection must name. */
export const invalidRequest: fc.Arbitrary<Mutation> = validRequest.chain((request) =>
  fc
    .integer({ min: 0, max: mutators.length - 1 })
    .chain((index) => (mutators[index] as Mutator)(request as GeneratedRequest)),
);
