import { describe, expect, it } from 'vitest';
import type { Ledger } from '../../functions/core/workflow/ports.ts';
import { drillRequest, expectSettled } from './support/expectations.ts';
import { intercept, SimulatedCrash, touchesOnly } from './support/faults.ts';
import { useSystems } from './support/use-systems.ts';

/** The ledger, dying once right after the outcome was recorded (before the writer could report it). */
function crashAfterFinish(ledger: Ledger): Ledger {
  let crashed = false;
  return new Proxy(ledger, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'finish' || typeof value !== 'function') return value;
      return async (...args: Parameters<Ledger['finish']>) => {
        const won = await target.finish(...args);
        if (won && !crashed) {
          crashed = true;
          throw new SimulatedCrash('after recording the outcome');
        }
        return won;
      };
    },
  });
}

describe('Reliability: an outcome is reported at least once (DynamoDB ledger on dynalite)', () => {
  const start = useSystems();

  it('reports an orphaned outcome whose reportedAt write DynamoDB applied, its answer lost and the SDK retried', async () => {
    // Prepare: the writer dies before reporting; the recovering delivery's reportedAt write is applied, its answer
    // lost, and the SDK's retry fails its condition.
    let lost = 0;
    const current = await start({
      wrapLedger: crashAfterFinish,
      dynamodbAnswerLost: (command, input) => {
        if (command !== 'UpdateItemCommand' || !touchesOnly(input, 'reportedAt') || lost > 0) return false;
        lost += 1;
        return true;
      },
    });
    current.submit(drillRequest(current.seed));

    // Act
    await current.run();

    // Assess
    expect(lost).toBe(1);
    const operation = await expectSettled(current, { outcome: 'succeeded' });
    expect(operation.reportedAt).toBeTypeOf('number');
  });
});

describe('Reliability: a timeout with CANCEL_ON_TIMEOUT is a timeout (DynamoDB ledger on dynalite)', () => {
  const start = useSystems();

  it('records timedOut, not an outside cancellation, when the invocation dies right after Atlas cancelled the job', async () => {
    // Prepare: a download that takes 3 hours to prepare, a 30-minute maxWait, and a crash after the cancel.
    let crashed = false;
    const current = await start({
      simulator: { durations: { downloadPrepareMs: 3 * 3_600_000 } },
      config: () => ({ cancelOnTimeout: true }),
      wrapAtlas: (atlas) =>
        intercept(atlas, async (method, _args, call) => {
          const result = await call();
          if (method === 'cancelRestoreJob' && !crashed) {
            crashed = true;
            throw new SimulatedCrash('after the cancel');
          }
          return result;
        }),
    });
    current.submit(
      drillRequest(current.seed, {
        deliveryType: 'download',
        targetGroupId: undefined,
        targetClusterName: undefined,
        snapshotId: undefined,
        maxWaitMinutes: 30,
      }),
    );

    // Act
    await current.run();

    // Assess
    expect(crashed).toBe(true);
    const operation = await expectSettled(current, { outcome: 'timedOut', errorCode: 'MAX_WAIT_EXCEEDED' });
    expect(operation.outcomeReason).toContain('the restore job was cancelled');
    expect(current.sim.state.restoreJobs(current.seed.groupId, current.seed.sourceClusterName)).toMatchObject([
      { cancelled: true },
    ]);
  });
});
