#!/usr/bin/env node
/**
 * The installed `atlas-restore` (bundled to dist/cli/atlas-restore.mjs by `npm run build:cli`): checks the Node.js
 * version first, then loads the CLI. The CLI is a separate chunk, loaded only after the check, so an old Node prints
 * what to install instead of failing on a module it lacks (node:sqlite).
 */
import packageJson from '../../package.json' with { type: 'json' };
import { unsupportedNodeMessage } from './node-version.ts';

const problem = unsupportedNodeMessage(process.versions.node, packageJson.engines.node);
if (problem !== undefined) {
  process.stderr.write(`atlas-restore: ${problem}\n`);
  process.exitCode = 1;
} else {
  const { runFromProcess } = await import('./atlas-restore.ts');
  await runFromProcess();
}
