import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type OrchestratorConfigInput, parseOrchestratorConfig } from '../../infra/config.ts';
import { RestoreOrchestratorStack } from '../../infra/restore-orchestrator-stack.ts';

/** The sample configuration shipped in cdk.json (context.atlasRestore). */
export function sampleConfig(): OrchestratorConfigInput {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
  return cdkJson.context.atlasRestore;
}

/** An app that skips asset bundling: `npm run synth` bundles once, unit tests only need the template. */
export function testApp(outdir?: string): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] }, ...(outdir === undefined ? {} : { outdir }) });
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
  Principal?: unknown;
  Sid?: string;
}

/** Every statement of the inline policies attached to a role, actions sorted, so tests compare them as a set. */
export function roleStatements(template: Template, roleRef: unknown): PolicyStatementJson[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify(roleRef)),
  );
  return policies.flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]).map((statement) => ({
      ...statement,
      Action: Array.isArray(statement.Action) ? [...statement.Action].sort() : [statement.Action],
    })),
  );
}
