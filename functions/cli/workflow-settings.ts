import * as z from 'zod';
import { ATLAS_ID_PATTERN, CLUSTER_NAME_PATTERN } from '../core/atlas/model.ts';
import { type WorkflowConfig, workflowConfig } from '../core/config.ts';
import { MAX_WAIT_MINUTES_LIMIT } from '../core/contract/restore-request.ts';
import { UsageError } from './command.ts';

const CLUSTER_KEY = new RegExp(`^${ATLAS_ID_PATTERN.source.slice(1, -1)}/${CLUSTER_NAME_PATTERN.source.slice(1, -1)}$`);

/** `groupId/clusterName`, the form of ALLOWED_TARGETS entries and of `--allowTarget`. */
export const clusterKeyText = z
  .string()
  .trim()
  .regex(CLUSTER_KEY, 'must be projectId/clusterName (24 hex characters, a slash, a cluster name)');

const seconds = (defaultValue: number, max: number) => z.coerce.number().int().min(1).max(max).default(defaultValue);

/**
 * The Lambda's own variables that also shape a run from a terminal (same names, same defaults): guardrails and the
 * poll cadence. Blank counts as unset.
 */
const environment = z
  .object({
    ALLOWED_TARGETS: z
      .string()
      .default('')
      .transform((value) => value.split(',').map((entry) => entry.trim()))
      .pipe(z.array(z.union([z.literal(''), clusterKeyText]))),
    POLL_MIN_DELAY_SECONDS: seconds(60, 900),
    POLL_MAX_DELAY_SECONDS: seconds(900, 43_200),
    DEFER_MAX_ATTEMPTS: z.coerce.number().int().min(0).max(1000).default(12),
    DEFAULT_MAX_WAIT_MINUTES: z.coerce.number().int().min(1).max(MAX_WAIT_MINUTES_LIMIT).default(720),
  })
  .refine((env) => env.POLL_MAX_DELAY_SECONDS >= env.POLL_MIN_DELAY_SECONDS, {
    path: ['POLL_MAX_DELAY_SECONDS'],
    message: 'must be at least POLL_MIN_DELAY_SECONDS',
  });

/**
 * The workflow configuration for one operation run from this machine. The allow-list is ALLOWED_TARGETS plus
 * `--allowTarget` flags; `--allowSourceOverwrite` allows the source alone onto itself. Variables at fault make a
 * UsageError naming them.
 */
export function terminalWorkflowConfig(
  env: NodeJS.ProcessEnv,
  flags: {
    readonly allowTargets: readonly string[];
    readonly sourceOverwrite?: string;
    readonly stepBudgetSeconds: number;
  },
): WorkflowConfig {
  const blankAsMissing = Object.fromEntries(
    Object.keys(environment.shape).flatMap((name) => {
      const value = env[name]?.trim();
      return value ? [[name, value]] : [];
    }),
  );
  const parsed = environment.safeParse(blankAsMissing);
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')}: ${issue.message}`).join('; '),
    );
  }
  const e = parsed.data;
  return workflowConfig({
    allowedTargets: [...e.ALLOWED_TARGETS.filter(Boolean), ...flags.allowTargets],
    sourceOverwriteAllowed: flags.sourceOverwrite ? [flags.sourceOverwrite] : [],
    pollMinDelaySeconds: e.POLL_MIN_DELAY_SECONDS,
    pollMaxDelaySeconds: e.POLL_MAX_DELAY_SECONDS,
    deferMaxAttempts: e.DEFER_MAX_ATTEMPTS,
    defaultMaxWaitMinutes: e.DEFAULT_MAX_WAIT_MINUTES,
    // One process makes every call: a claim only has to outlive the step that took it.
    claimLeaseSeconds: flags.stepBudgetSeconds,
  });
}
