import type * as z from 'zod';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  /** The variables at fault, for tests and operators. */
  readonly variables: readonly string[];

  constructor(message: string, variables: readonly string[]) {
    super(message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

/**
 * Reads a Lambda environment through `schema`, a blank variable counting as unset. The error names each variable at
 * fault with its rule (`is required` when unset), never a value.
 */
export function parseLambdaEnvironment<T>(schema: z.ZodType<T>, env: Readonly<Record<string, string | undefined>>): T {
  const parsed = schema.safeParse(blankAsMissing(env), { reportInput: true });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? '(environment)'),
    rule: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
  }));
  throw new ConfigError(
    `Invalid Lambda environment: ${issues.map(({ variable, rule }) => `${variable}: ${rule}`).join('; ')}`,
    [...new Set(issues.map(({ variable }) => variable))],
  );
}

/** CloudFormation writes unset optional parameters as empty strings: treat them as absent so defaults apply. */
function blankAsMissing(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value.trim() !== '') result[key] = value;
  return result;
}
