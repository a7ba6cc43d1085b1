import type * as z from 'zod';

/** One reason a message was refused: which field, which rule (stable, to match on) and a sentence for people. */
export interface ContractIssue {
  /** Dotted path of the field (`detail.targetClusterName`), or `(message)` for the message as a whole. */
  readonly path: string;
  /** zod's issue code (`invalid_type`, `too_small`, `unrecognized_keys`, …) or our rule name for cross-field rules. */
  readonly rule: string;
  readonly message: string;
}

/** A custom issue carries its rule name in `params.rule` so callers can match on it. */
export function ruleIssue(path: string, rule: string, message: string) {
  return { code: 'custom' as const, path: [path], message, params: { rule } };
}

/** `detail.targetClusterName`; an empty key is written `""` so that the field is named all the same. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(message)' : path.map((key) => (key === '' ? '""' : String(key))).join('.');
}

/**
 * zod issues as a flat list naming each field. Unknown keys get one issue each, with a hint when the key looks
 * like a known field mistyped (an operator's `snapshotID` must not be silently ignored, nor left unexplained).
 */
export function contractIssues(
  error: z.ZodError,
  options: { prefix?: readonly PropertyKey[]; knownKeys?: readonly string[] } = {},
): ContractIssue[] {
  const prefix = options.prefix ?? [];
  return error.issues.flatMap((issue): ContractIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: formatPath([...path, key]),
        rule: 'unrecognized_keys',
        message: unknownKeyMessage(key, options.knownKeys ?? []),
      }));
    }
    // Needs `reportInput: true` when parsing; the input itself is never copied out (it may be anything).
    if (
      (issue.code === 'invalid_type' || issue.code === 'invalid_value') &&
      'input' in issue &&
      issue.input === undefined
    ) {
      return [{ path: formatPath(path), rule: 'required', message: 'required' }];
    }
    const rule = issue.code === 'custom' && typeof issue.params?.rule === 'string' ? issue.params.rule : issue.code;
    return [{ path: formatPath(path), rule, message: issue.message }];
  });
}

/** `groupId: Invalid string …; snapshotID: unknown field (did you mean snapshotId?)`, for logs and DLQ attributes. */
export function describeContractIssues(issues: readonly ContractIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message} [${issue.rule}]`).join('; ');
}

function unknownKeyMessage(key: string, knownKeys: readonly string[]): string {
  const suggestion = knownKeys.find((known) => isLikelyTypo(key, known));
  return suggestion ? `unknown field (did you mean ${suggestion}?)` : 'unknown field';
}

function isLikelyTypo(key: string, known: string): boolean {
  const a = key.toLowerCase();
  const b = known.toLowerCase();
  if (a === b) return true;
  return Math.abs(a.length - b.length) <= 2 && editDistance(a, b) <= 2;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
