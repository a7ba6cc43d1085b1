import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, configFromContext, type OrchestratorConfig, parseOrchestratorConfig } from './config.ts';
import { RestoreOrchestratorStack } from './restore-orchestrator-stack.ts';

/** The CDK app: the only place that reads context. Configuration: cdk.json `context.atlasRestore` (see config.ts). */
const app = new App();

let config: OrchestratorConfig;
try {
  config = parseOrchestratorConfig(configFromContext(app.node));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

new RestoreOrchestratorStack(app, config.stackName, {
  config,
  description: 'Atlas restore orchestrator: scheduled DR drills and on-demand restores of MongoDB Atlas snapshots',
  // Environment-agnostic unless the configuration pins an account or region.
  ...(config.account === undefined && config.region === undefined
    ? {}
    : { env: { ...(config.account && { account: config.account }), ...(config.region && { region: config.region }) } }),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
