import type { VerificationResult } from '../contract/verification.ts';
import { completePhase } from './after-restore.ts';
import { nextPollDelay } from './cadence.ts';
import type { Operation } from './operation.ts';
import { handOff, logAttributes, type StepContext, secondsBetween } from './steps.ts';

/**
 * The verify phase (verified drills), after a restore that completed, for a request with `verify`. Its first step
 * asks the verifier (its own queue: the driver never enters this function) and records the verification as
 * pending; the next steps read the operation, on the poll cadence, until the verifier recorded its result, or until
 * VERIFY_MAX_MINUTES passed: then the result is `unknown`, recorded through the same first-wins write as the
 * verifier's (a result that lands first is kept). The message to the verifier goes before the advance that marks
 * it: a crash between sends it again, which the first-wins write makes harmless; the other order could lose it.
 */
export async function runVerify(context: StepContext): Promise<void> {
  const { deps, operation } = context;
  const verification = operation.verification;
  if (verification?.result !== undefined) {
    await completePhase(context, 'verify');
    return;
  }
  const now = deps.clock.now();
  const queue = deps.verificationQueue;
  if (queue === undefined) {
    // Configured at the start (or the request was refused), gone since: no verifier will answer.
    await recordUnknown(context, 'verification is not configured (VERIFICATION_QUEUE_URL is unset)');
    return;
  }
  if (verification?.requestedAt === undefined) {
    await queue.send({ v: 1, kind: 'verify', operationId: operation.operationId });
    deps.log.info('verification requested', logAttributes(operation));
    await handOff(
      context,
      { kind: 'verify', delaySeconds: nextPollDelay(0, deps.config) },
      { verificationRequestedAt: now },
    );
    return;
  }
  const deadline = verification.requestedAt + deps.config.verifyMaxMinutes * 60_000;
  if (now >= deadline) {
    await recordUnknown(context, `the verifier did not answer within ${deps.config.verifyMaxMinutes} minutes`);
    return;
  }
  const delaySeconds = Math.max(
    1,
    Math.min(
      nextPollDelay(secondsBetween(verification.requestedAt, now), deps.config),
      Math.ceil((deadline - now) / 1000),
    ),
  );
  await handOff(context, { kind: 'verify', delaySeconds });
}

/** Records `unknown` unless a result is in already (then that one is kept), and completes the phase. */
async function recordUnknown(context: StepContext, reason: string): Promise<void> {
  const { deps, operation } = context;
  const unknown: VerificationResult = {
    verdict: 'unknown',
    checks: [{ name: 'verifier', verdict: 'unknown', reason }],
    recordedAt: deps.clock.now(),
  };
  const recorded = await deps.ledger.recordVerification(operation.operationId, unknown);
  // Stryker disable next-line OptionalChaining: equivalent, the operation was just read, and a refused write means its result is in
  const result = recorded ? unknown : ((await deps.ledger.get(operation.operationId))?.verification?.result ?? unknown);
  if (recorded) deps.log.warn('verification unknown', logAttributes(operation, { reason }));
  const verified: Operation = {
    ...operation,
    verification: {
      status: 'recorded',
      ...(operation.verification?.requestedAt !== undefined ? { requestedAt: operation.verification.requestedAt } : {}),
      result,
    },
  };
  await completePhase({ ...context, operation: verified }, 'verify');
}
