import { rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { esbuildBuildOptions, PROJECT_ROOT } from './handler-bundling.ts';

/** `npm run build`: the handler bundle exactly as the stack deploys it, into dist/restore-handler/. */
const outdir = join(PROJECT_ROOT, 'dist', 'restore-handler');
const outfile = join(outdir, 'index.mjs');

await rm(outdir, { recursive: true, force: true });
await build(esbuildBuildOptions(outfile));

for (const file of [outfile, `${outfile}.map`]) {
  const { size } = await stat(file);
  console.log(`${relative(PROJECT_ROOT, file)}  ${(size / 1024).toFixed(1)} KiB`);
}
