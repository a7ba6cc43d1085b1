import { describe, expect, it } from 'vitest';
import type { Fault } from '../atlas-simulator/index.ts';
import { drillRequest, expectSettled, OPERATION_ID, type Settlement } from './support/expectations.ts';
import { useSystems } from './support/use-systems.ts';

/**
 * The fault matrix for Atlas's answers: each fault runs through the whole function (handler, workflow, real client
 * over HTTP, DynamoDB ledger on dynalite) and must leave one restore job, the ledger agreeing with Atlas, one
 * reported outcome and no secret in the logs. Faults are absorbed by the client's retries, by SQS redelivering the
 * message (a batch item failure), or end the operation when they are permanent.
 */

/**
 * How the fault was absorbed: the client's retries, SQS redelivering the message, the step itself, a poll backing off
 * to a later poll, or not at all.
 */
type Absorbed = 'client retries' | 'redelivery' | 'in the step' | 'backoff' | 'permanent';

interface AtlasFaultCase {
  readonly name: string;
  readonly operationId: string;
  readonly fault: Fault;
  readonly times: number;
  /** Injected before the request (start step), or once the job was submitted (poll step). */
  readonly during: 'start' | 'poll';
  readonly absorbed: Absorbed;
  readonly expected: Settlement;
}

const status = (code: number, errorCode?: string, retryAfterSeconds?: number): Fault => ({
  kind: 'status',
  status: code,
  ...(errorCode ? { errorCode } : {}),
  ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
});
const UPGRADE = 'WRITES_NOT_ALLOWED_DURING_APP_UPGRADES';
const RATE_LIMITED = 'RATE_LIMITED_TOKEN_BUCKET';
const SIX_MIB = 6 * 1024 * 1024;
const succeeded: Settlement = { outcome: 'succeeded' };

const CASES: readonly AtlasFaultCase[] = [
  // Rate limits: Atlas's token bucket answers 429, with or without Retry-After.
  {
    name: '429 burst with Retry-After on a listing',
    operationId: 'listBackupSnapshots',
    fault: status(429, RATE_LIMITED, 5),
    times: 3,
    during: 'start',
    absorbed: 'client retries',
    expected: succeeded,
  },
  {
    name: '429 burst without Retry-After on a poll',
    operationId: 'getBackupRestoreJob',
    fault: status(429, RATE_LIMITED),
    times: 3,
    during: 'poll',
    absorbed: 'client retries',
    expected: succeeded,
  },
  {
    name: '429 burst outlasting the client on the POST',
    operationId: 'createBackupRestoreJob',
    fault: status(429, RATE_LIMITED, 30),
    times: 6,
    during: 'start',
    absorbed: 'redelivery',
    expected: succeeded,
  },
  // Server errors: retried on reads; a POST answered 5xx may have acted, so it is never repeated blindly.
  {
    name: '500 on reads',
    operationId: 'getCluster',
    fault: status(500),
    times: 2,
    during: 'start',
    absorbed: 'client retries',
    expected: succeeded,
  },
  {
    name: '500 on the POST (it did nothing)',
    operationId: 'createBackupRestoreJob',
    fault: status(500),
    times: 1,
    during: 'start',
    absorbed: 'redelivery',
    expected: succeeded,
  },
  {
    name: '502 HTML page from the load balancer',
    operationId: 'listBackupRestoreJobs',
    fault: status(502),
    times: 2,
    during: 'start',
    absorbed: 'client retries',
    expected: succeeded,
  },
  {
    name: '503 with Retry-After outlasting the client on a poll',
    operationId: 'getBackupRestoreJob',
    fault: status(503, 'SERVICE_UNAVAILABLE', 30),
    times: 8,
    during: 'poll',
    absorbed: 'backoff',
    expected: succeeded,
  },
  // Upgrades: 405 WRITES_NOT_ALLOWED_DURING_APP_UPGRADES refuses before acting, so the POST may be repeated.
  {
    name: '405 during an upgrade, short',
    operationId: 'createBackupRestoreJob',
    fault: status(405, UPGRADE),
    times: 2,
    during: 'start',
    absorbed: 'client retries',
    expected: succeeded,
  },
  {
    name: '405 during an upgrade, longer than the client waits',
    operationId: 'createBackupRestoreJob',
    fault: status(405, UPGRADE),
    times: 10,
    during: 'start',
    absorbed: 'redelivery',
    expected: succeeded,
  },
  // Connections dropped: before Atlas acted, or after it created the job.
  {
    name: 'connection dropped on a poll',
    operationId: 'getBackupRestoreJob',
    fault: { kind: 'drop' },
    times: 2,
    during: 'poll',
    absorbed: 'client retries',
    expected: succeeded,
  },
  {
    name: 'connection dropped on the POST before Atlas acted',
    operationId: 'createBackupRestoreJob',
    fault: { kind: 'drop' },
    times: 1,
    during: 'start',
    absorbed: 'redelivery',
    expected: succeeded,
  },
  {
    name: 'connection dropped after Atlas created the job',
    operationId: 'createBackupRestoreJob',
    fault: { kind: 'dropAfterApply' },
    times: 1,
    during: 'start',
    absorbed: 'in the step',
    expected: succeeded,
  },
  // Unusable bodies: truncated JSON and a body far larger than any real answer (a proxy's glitch). A GET is read
  // again, as after a dropped connection; a POST's is ambiguous.
  {
    name: 'truncated JSON on a poll',
    operationId: 'getBackupRestoreJob',
    fault: { kind: 'malformed' },
    times: 1,
    during: 'poll',
    absorbed: 'client retries',
    expected: succeeded,
  },
  {
    name: 'truncated JSON answering the POST (it did nothing)',
    operationId: 'createBackupRestoreJob',
    fault: { kind: 'malformed' },
    times: 1,
    during: 'start',
    absorbed: 'redelivery',
    expected: succeeded,
  },
  {
    name: 'truncated JSON on a listing before submitting',
    operationId: 'listBackupSnapshots',
    fault: { kind: 'malformed' },
    times: 1,
    during: 'start',
    absorbed: 'client retries',
    expected: succeeded,
  },
  {
    name: 'truncated JSON on a listing before submitting, outlasting the client',
    operationId: 'listBackupSnapshots',
    fault: { kind: 'malformed' },
    times: 4,
    during: 'start',
    absorbed: 'redelivery',
    expected: succeeded,
  },
  {
    name: 'a 6 MiB answer to a poll',
    operationId: 'getBackupRestoreJob',
    fault: { kind: 'huge', bytes: SIX_MIB },
    times: 1,
    during: 'poll',
    absorbed: 'client retries',
    expected: succeeded,
  },
  {
    name: 'a 6 MiB answer to a listing before submitting',
    operationId: 'listBackupRestoreJobs',
    fault: { kind: 'huge', bytes: SIX_MIB },
    times: 1,
    during: 'start',
    absorbed: 'client retries',
    expected: succeeded,
  },
];

describe('Reliability: Atlas faults', () => {
  const start = useSystems();

  it.each(CASES)('$name: $absorbed, then $expected.outcome', async (scenario) => {
    // Prepare
    const current = await start();
    const inject = () =>
      current.sim.faults.inject({ operationId: scenario.operationId, times: scenario.times }, scenario.fault);
    current.submit(drillRequest(current.seed));
    if (scenario.during === 'start') inject();
    else {
      await current.run({ until: async () => (await current.ledger.get(OPERATION_ID))?.restoreJobId !== undefined });
      inject();
    }

    // Act
    await current.run();

    // Assess
    const operation = await expectSettled(current, scenario.expected);
    const hits = current.sim.requests.filter(
      (request) => request.operationId === scenario.operationId && request.fault === scenario.fault.kind,
    );
    expect(hits).toHaveLength(scenario.times);
    const retryWarnings = current.logs.records().filter((record) => record.message === 'Atlas call failed; retrying');
    switch (scenario.absorbed) {
      case 'client retries':
        expect(current.batchItemFailures).toEqual([]);
        expect(retryWarnings.length).toBeGreaterThan(0);
        break;
      case 'redelivery':
        expect(current.batchItemFailures.length).toBeGreaterThan(0);
        break;
      case 'in the step':
        expect(current.batchItemFailures).toEqual([]);
        expect(operation.adopted).toBe(true);
        break;
      case 'backoff':
        // A poll that cannot reach Atlas moves on to a later poll: no receive is burned (see atlas-outage.test.ts).
        expect(current.batchItemFailures).toEqual([]);
        expect(current.logs.records().some((record) => record.message === 'Atlas unreachable; polling later')).toBe(
          true,
        );
        break;
      case 'permanent':
        expect(current.batchItemFailures).toEqual([]);
        expect(operation.outcome).toBe('failed');
        break;
    }
    if (scenario.expected.outcome === 'failed') expect(operation.outcomeReason).toMatch(scenario.operationId);
    if (scenario.fault.kind === 'status' && scenario.fault.retryAfterSeconds !== undefined) {
      const waits = retryWarnings
        .filter((record) => record.operation === scenario.operationId)
        .map((record) => record.delayMs);
      for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(scenario.fault.retryAfterSeconds * 1000);
    }
  });
});
