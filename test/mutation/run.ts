// `npm run mutate [-- stryker options]`: runs StrykerJS (stryker.config.mjs), keeps the incremental report whole
// when only some files were mutated (`-- --mutate functions/core/workflow/poll.ts`), then writes docs/mutation.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { writeMutationTable } from './table.ts';

export const INCREMENTAL_FILE = 'test/mutation/stryker-incremental.json';

interface Report {
  files: Record<string, unknown>;
  testFiles?: Record<string, unknown>;
  [key: string]: unknown;
}

const readReport = (): Report | undefined =>
  existsSync(INCREMENTAL_FILE) ? (JSON.parse(readFileSync(INCREMENTAL_FILE, 'utf8')) as Report) : undefined;

// Stryker's sandboxes sit in .stryker-tmp/sandbox-*; tests read the OpenAPI slice from ../shared beside the checkout,
// which from a sandbox is .stryker-tmp/shared: link it there.
mkdirSync('.stryker-tmp', { recursive: true });
rmSync('.stryker-tmp/shared', { force: true });
symlinkSync(resolve('..', 'shared'), '.stryker-tmp/shared');

const before = readReport();
const args = process.argv.slice(2);
const mutateIndex = args.findIndex((arg) => arg === '--mutate' || arg === '-m');
/** The files this run mutates, when named on the command line (else all of the config's: undefined). */
const mutating = mutateIndex >= 0 ? new Set((args[mutateIndex + 1] ?? '').split(',')) : undefined;
const thisRun = (file: string) => mutating === undefined || mutating.has(file);
// Incremental mode reuses a survivor when no new test covers it; a static mutant (module scope) is covered by no test
// in particular, so a new test that kills it would never be tried. Static survivors are few: forget those of the
// files mutated now, so every run tries them again against the whole suite.
if (before !== undefined) {
  const files = before.files as Record<string, { mutants: { static?: boolean; status: string }[] }>;
  const forgotten = Object.fromEntries(
    Object.entries(files).map(([file, result]) => [
      file,
      thisRun(file)
        ? { ...result, mutants: result.mutants.filter((mutant) => !(mutant.static && mutant.status !== 'Killed')) }
        : result,
    ]),
  );
  writeFileSync(INCREMENTAL_FILE, `${JSON.stringify({ ...before, files: forgotten }, null, 2)}\n`);
}
const started = Date.now();
const stryker = join(
  dirname(createRequire(import.meta.url).resolve('@stryker-mutator/core/package.json')),
  'bin',
  'stryker.js',
);
// process.execPath: the Node 24 that runs this script, so Stryker's workers run the TypeScript sources natively too.
const run = spawnSync(process.execPath, [stryker, 'run', ...args], { stdio: 'inherit' });
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
if (run.status !== 0) {
  console.error(`stryker exited with ${run.status ?? run.signal}`);
  process.exit(run.status ?? 1);
}

// Stryker writes only the files it mutated this time into the incremental file: put the others back, so the
// committed report (and the table) stays whole across per-module runs. A kept file whose source changed since is
// shown as stale in the table.
const after = readReport();
if (before !== undefined && after !== undefined) {
  for (const [file, result] of Object.entries(before.files)) {
    if (!thisRun(file)) after.files[file] = result;
  }
  writeFileSync(INCREMENTAL_FILE, `${JSON.stringify(after, null, 2)}\n`);
}
writeMutationTable(
  INCREMENTAL_FILE,
  'docs/mutation.md',
  `last run: \`${['npm run mutate', ...process.argv.slice(2)].join(' ')}\`, ${minutes} min`,
);
console.log(`docs/mutation.md written (stryker took ${minutes} min)`);
