import { describe, expect, it } from 'vitest';
import type { Ledger } from '../../../../functions/core/workflow/ports.ts';
import { createRestoreService } from '../../../../functions/core/workflow/service.ts';
import { crashAfter, fixture, requests } from './fakes.ts';
import { drain } from './harness.ts';

/**
 * `markReported` as the AWS SDK runs it when the answer of an applied write is lost: the write took effect, the SDK
 * sends it again, and the retry fails its condition (reportedAt exists now), so the caller hears "false".
 */
function markReportedAnswerLost(ledger: Ledger): Ledger {
  return new Proxy(ledger, {
    get(target, property, receiver) {
      if (property !== 'markReported') return Reflect.get(target, property, receiver);
      return async (operationId: string, at: number) => {
        await target.markReported(operationId, at);
        return target.markReported(operationId, at);
      };
    },
  });
}

describe('Workflow: reporting an outcome at least once', () => {
  it('reports an orphaned outcome although the reportedAt write was applied, its answer lost and retried', async () => {
    // Prepare: the writer dies right after recording the outcome (before reporting it); the recovering delivery's
    // reportedAt write is applied but answered as a failed condition.
    const f = fixture();
    const ledger = markReportedAnswerLost(crashAfter(f.ledger, 'finish', (_args, won) => won === true));
    const service = createRestoreService({ ...f.deps, ledger });
    f.queue.put(JSON.stringify(requests.automated()));

    // Act
    const report = await drain(f, service);

    // Assess
    expect(report.redriven).toEqual([]);
    expect(f.reporter.outcomes.map((operation) => operation.outcome)).toEqual(['succeeded']);
    expect((await f.ledger.get('drill-2026-11-28'))?.reportedAt).toBeTypeOf('number');
  });
});
