import { describe, expect, it } from 'vitest';
import type { Ledger } from '../../functions/core/workflow/ports.ts';
import { drillRequest, expectSettled } from './support/expectations.ts';
import { SimulatedCrash, touchesOnly } from './support/faults.ts';
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
