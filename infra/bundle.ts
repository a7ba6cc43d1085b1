import { rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import {
  DRILL_JUDGE_ENTRY,
  esbuildBuildOptions,
  HANDLER_ENTRY,
  HEARTBEAT_WRITER_ENTRY,
  PROJECT_ROOT,
  VERIFIER_ENTRY,
} from './handler-bundling.ts';

/** `npm run build`: the bundles exactly as the stack deploys them, into dist/<function>/index.mjs. */
for (const [name, entry] of [
  ['restore-handler', HANDLER_ENTRY],
  ['drill-judge', DRILL_JUDGE_ENTRY],
  ['verifier', VERIFIER_ENTRY],
  ['heartbeat-writer', HEARTBEAT_WRITER_ENTRY],
] as const) {
  const outdir = join(PROJECT_ROOT, 'dist', name);
  const outfile = join(outdir, 'index.mjs');

  await rm(outdir, { recursive: true, force: true });
  await build(esbuildBuildOptions(outfile, entry));

  for (const file of [outfile, `${outfile}.map`]) {
    const { size } = await stat(file);
    console.log(`${relative(PROJECT_ROOT, file)}  ${(size / 1024).toFixed(1)} KiB`);
  }
}
