import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_CONTEXT_KEY, type OrchestratorConfig, parseOrchestratorConfig } from '../../infra/config.ts';
import { PROJECT_ROOT } from '../../infra/handler-bundling.ts';

/** The deployment the figures are for: cdk.json's `atlasRestore` configuration, with the stack's defaults applied. */
export async function deployedConfig(): Promise<OrchestratorConfig> {
  const cdk = JSON.parse(await readFile(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return parseOrchestratorConfig(cdk.context?.[CONFIG_CONTEXT_KEY] ?? {});
}
