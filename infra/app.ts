import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import {
  ConfigError,
  configFromContext,
  deploymentEnvironment,
  type OrchestratorConfig,
  parseOrchestratorConfig,
} from './config.ts';
import { RestoreOrchestratorStack } from './restore-orchestrator-stack.ts';

/** The CDK app: the only place that reads context. Configuration: cdk.json `context.atlasRestore` (see config.ts). */
const app = new App();

let config: OrchestratorConfig;
let env: { account: string; region: string };
try {
  config = parseOrchestratorConfig(configFromContext(app.node));
  env = deploymentEnvironment(config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

new RestoreOrchestratorStack(app, config.stackName, {
  config,
  description: 'Atlas restore orchestrator: scheduled DR drills and on-demand restores of MongoDB Atlas snapshots',
  // Pinned, never environment-agnostic: an agnostic stack deploys wherever the shell's credentials point.
  env,
});

// Both packs, as test/infra/cdk-nag.test.ts runs them: each acknowledgement in the stack carries its reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
