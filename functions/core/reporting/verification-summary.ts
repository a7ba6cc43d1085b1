import type { CheckResult, VerificationResult } from '../contract/verification.ts';
import type { OperationVerification } from '../workflow/operation.ts';

/** The word for a verdict, as reports, history and the drill judge say it. */
export const VERDICT_WORDS = { pass: 'passed', fail: 'failed', unknown: 'unknown' } as const;

/** The checks that did not pass, failing ones first: what a failed or unknown verification is about. */
export function checksNotPassed(result: VerificationResult): CheckResult[] {
  const failing = result.checks.filter((check) => check.verdict === 'fail');
  return failing.length > 0 ? failing : result.checks.filter((check) => check.verdict === 'unknown');
}

/** `name (reason); name (reason)` of the checks that did not pass. */
export function describeChecksNotPassed(result: VerificationResult): string {
  const checks = checksNotPassed(result);
  if (checks.length === 0) return 'no check ran';
  return checks.map((check) => `${check.name} (${check.reason})`).join('; ');
}

/**
 * One line for a verification: `passed, 4 checks, RPO proven by heartbeats 42 s`, `failed: collection:shop.orders
 * (missing on the target)`, `unknown: verifier (the verifier did not answer within 30 minutes)`, `pending`.
 */
export function describeVerification(verification: OperationVerification | undefined): string | undefined {
  if (verification === undefined) return undefined;
  const result = verification.result;
  if (result === undefined) return 'pending';
  const word = VERDICT_WORDS[result.verdict];
  if (result.verdict !== 'pass') return `${word}: ${describeChecksNotPassed(result)}`;
  const rpo =
    result.achievedRpoSeconds === undefined ? '' : `, RPO proven by heartbeats ${result.achievedRpoSeconds} s`;
  return `${word}, ${result.checks.length} check${result.checks.length === 1 ? '' : 's'}${rpo}`;
}
