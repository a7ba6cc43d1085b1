import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type OrchestratorConfigInput, parseOrchestratorConfig } from '../../infra/config.ts';
import { RestoreOrchestratorStack } from '../../infra/restore-orchestrator-stack.ts';

const cdkJsonContext: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

/** The sample configuration shipped in cdk.json (context.atlasRestore). */
export function sampleConfig(): OrchestratorConfigInput {
  return structuredClone(cdkJsonContext.atlasRestore) as OrchestratorConfigInput;
}

/**
 * An app with cdk.json's feature flags, as `cdk synth` runs it, that skips asset bundling: `npm run synth` bundles
 * once, unit tests only need the template.
 */
export function testApp(outdir?: string): App {
  const { atlasRestore: _config, ...flags } = cdkJsonContext;
  return new App({
    context: { ...flags, 'aws:cdk:bundling-stacks': [] },
    ...(outdir === undefined ? {} : { outdir }),
  });
}

export function synthesize(input: OrchestratorConfigInput, app: App = testApp()) {
  const stack = new RestoreOrchestratorStack(app, 'Test', { config: parseOrchestratorConfig(input) });
  return { app, stack, template: Template.fromStack(stack) };
}

interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** One permission: an action on one resource, with its condition if any. */
export interface Permission {
  readonly action: string;
  readonly resource: unknown;
  readonly condition?: unknown;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * Every permission the inline policies attached to a role allow, one per action and resource, sorted: policies
 * compare as sets, whether CDK merged statements or not. Any Deny or NotAction fails the comparison by showing up.
 */
export function rolePermissions(template: Template, roleRef: unknown): Permission[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    asList(policy.Properties.Roles).some((role) => JSON.stringify(role) === JSON.stringify(roleRef)),
  );
  return sortPermissions(
    policies.flatMap((policy) =>
      asList(policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]).flatMap((statement) =>
        asList(statement.Action).flatMap((action) =>
          asList(statement.Resource).map((resource) => ({
            action: statement.Effect === 'Allow' ? action : `${statement.Effect}:${action}`,
            resource,
            ...(statement.Condition === undefined ? {} : { condition: statement.Condition }),
          })),
        ),
      ),
    ),
  );
}

/** The permissions `actions` give on `resource`, in rolePermissions' form. */
export function allow(actions: string[], resource: unknown, condition?: unknown): Permission[] {
  return actions.map((action) => ({ action, resource, ...(condition === undefined ? {} : { condition }) }));
}

export function sortPermissions(permissions: Permission[]): Permission[] {
  const key = (permission: Permission) =>
    JSON.stringify([permission.action, permission.resource, permission.condition]);
  return [...permissions].sort((a, b) => key(a).localeCompare(key(b)));
}
