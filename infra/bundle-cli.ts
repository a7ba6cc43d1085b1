import { chmod, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from './handler-bundling.ts';

/**
 * `npm run build:cli` (and `prepack`): the installable CLI, as JavaScript with every dependency inside, into dist/cli/.
 * The entry point checks the Node.js version and then loads the rest, a chunk of its own (`splitting`), so an old Node
 * never parses it. The package then has no runtime dependencies: `npm install` of the tarball needs no registry.
 */
const outdir = join(PROJECT_ROOT, 'dist', 'cli');

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { 'atlas-restore': join(PROJECT_ROOT, 'functions', 'cli', 'launcher.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  // The launcher must parse on old Node versions to tell them apart; the chunks it loads need engines.node anyway.
  target: 'node18',
  minify: true,
  mainFields: ['module', 'main'],
  banner: {
    js: "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);",
  },
  legalComments: 'linked',
  logLevel: 'warning',
});
const entry = join(outdir, 'atlas-restore.mjs');
await chmod(entry, 0o755);
const { size } = await stat(entry);
console.log(`${relative(PROJECT_ROOT, entry)}  ${(size / 1024).toFixed(1)} KiB (and its chunks)`);
