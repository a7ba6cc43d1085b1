import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../../functions/core/reporting/logger.ts';
import { originalStack } from '../../../../functions/core/reporting/source-maps.ts';

const run = promisify(execFile);

/** A minified bundle with its source map beside it, as deployed, whose handler throws from line 3 of its source. */
let directory: string;
let bundle: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'source-maps-'));
  await writeFile(
    join(directory, 'thrower.ts'),
    ['// a source line', 'export function fail(): never {', "  throw new Error('boom');", '}', ''].join('\n'),
  );
  bundle = join(directory, 'out', 'index.mjs');
  await build({
    entryPoints: [join(directory, 'thrower.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    outfile: bundle,
    logLevel: 'silent',
  });
});
afterAll(() => rm(directory, { recursive: true, force: true }));

/** The stack of the bundle's error as Node prints it without --enable-source-maps (a plain process: vitest maps). */
async function stackOfBundle(): Promise<string> {
  const script = `import(${JSON.stringify(pathToFileURL(bundle).href)}).then((m) => m.fail()).catch((e) => process.stdout.write(e.stack));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '' },
  });
  return stdout;
}

describe('Module: source maps on first use (no --enable-source-maps at init)', () => {
  it('maps the frames of a bundled file to its sources, from the map beside it', async () => {
    // Prepare
    const stack = await stackOfBundle();

    // Act
    const mapped = originalStack(stack);

    // Assess
    expect(stack).toMatch(/index\.mjs:1:\d+/);
    expect(mapped).toMatch(/thrower\.ts:3:\d+/);
    expect(mapped).not.toContain('index.mjs:1:');
  });

  it('maps the stack of a logged error, and leaves other values and frames without a map alone', async () => {
    // Prepare
    const stack = await stackOfBundle();
    const unmapped = 'Error: x\n    at f (file:///nowhere/without-map.mjs:1:10)\n    at node:internal/x:1:1';

    // Act / Assess
    expect(redactSecrets('stack', stack)).toMatch(/thrower\.ts:3:\d+/);
    expect(redactSecrets('stack', unmapped)).toBe(unmapped);
    expect(redactSecrets('message', 'index.mjs:1:5')).toBe('index.mjs:1:5');
  });
});
