import type { CheckResult, VerifyOptions } from '../contract/verification.ts';
import { type DatabaseReader, databaseFailureReason } from './database-port.ts';

type UserCheck = NonNullable<VerifyOptions['checks']>[number];

/**
 * The drill's own checks, each one result (`check:<n>`, 1-based): the collection must exist, hold at least
 * `minCount` documents matching `filter` (1 when not given), and with `newestField` + `maxAgeMinutes` its newest
 * document by that date field must be at most that old at the restored instant. A read that fails makes that
 * check unknown, not the others.
 */
export async function runUserChecks(
  checks: readonly UserCheck[],
  target: DatabaseReader,
  instant: number | undefined,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [index, check] of checks.entries()) {
    const name = `check:${index + 1}`;
    try {
      results.push({ name, ...(await runUserCheck(check, target, instant)) });
    } catch (error) {
      results.push({ name, verdict: 'unknown', reason: `${namespace(check)}: ${databaseFailureReason(error)}` });
    }
  }
  return results;
}

async function runUserCheck(
  check: UserCheck,
  target: DatabaseReader,
  instant: number | undefined,
): Promise<Omit<CheckResult, 'name'>> {
  // Stryker disable next-line StringLiteral,ConditionalExpression,EqualityOperator: message text, where only names the namespace in reasons
  const where = `${namespace(check)}${check.filter === undefined ? '' : ' (filtered)'}`;
  const listed = await target.listCollections(check.database);
  if (!listed.some((entry) => entry.name === check.collection)) {
    return { verdict: 'fail', reason: `${namespace(check)} is missing on the target` };
  }
  const minCount = check.minCount ?? 1;
  const count = await target.count(check.database, check.collection, check.filter);
  if (count < minCount) {
    return { verdict: 'fail', reason: `${where}: expected at least ${minCount} documents, found ${count}` };
  }
  // Stryker disable next-line StringLiteral: message text, counted is only the start of a reason
  const counted = `${where}: ${count} documents (at least ${minCount})`;
  if (check.newestField === undefined || check.maxAgeMinutes === undefined) return { verdict: 'pass', reason: counted };

  const newest = await target.newestValue(check.database, check.collection, check.newestField, check.filter);
  if (!(newest instanceof Date) || Number.isNaN(newest.getTime())) {
    return { verdict: 'fail', reason: `${where}: no document has a date in ${check.newestField}` };
  }
  if (instant === undefined) {
    return { verdict: 'unknown', reason: `${counted}; the restored instant is not known, so the age is not either` };
  }
  const ageMinutes = (instant - newest.getTime()) / 60_000;
  const age = `the newest ${check.newestField} is ${newest.toISOString()}, ${Math.max(0, Math.ceil(ageMinutes))} min before the restored instant`;
  return ageMinutes <= check.maxAgeMinutes
    ? { verdict: 'pass', reason: `${counted}; ${age} (at most ${check.maxAgeMinutes})` }
    : { verdict: 'fail', reason: `${counted}; ${age}, more than ${check.maxAgeMinutes}` };
}

// Stryker disable next-line BlockStatement: message text, namespace only names the collection in reasons
function namespace(check: UserCheck): string {
  // Stryker disable next-line StringLiteral: message text, namespace only names the collection in reasons
  return `${check.database}.${check.collection}`;
}
