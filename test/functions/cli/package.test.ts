import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsupportedNodeMessage } from '../../../functions/cli/node-version.ts';
import packageJson from '../../../package.json' with { type: 'json' };
import type { AtlasSimulator } from '../../atlas-simulator/index.ts';
import { addClusterPair, atlasEnv, startRealTimeSimulator } from './run-cli.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** This Node (24) first on PATH: npm, and the installed bin's `#!/usr/bin/env node`, run on it. */
const PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);

/** npm's cache and config go under this, never under the checkout (set in beforeAll). */
let home = tmpdir();

function run(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string> }) {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: { PATH, HOME: home, npm_config_cache: join(home, '.npm'), ...options.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Asynchronous: the simulator answers from this process while the CLI runs. */
function runAsync(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string> }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { PATH, HOME: home, ...options.env }, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('the packed CLI (npm pack, then npm install of the tarball)', () => {
  let work: string;
  let bin: string;
  let installed: string;
  let sim: AtlasSimulator;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'atlas-restore-pack-'));
    home = mkdtempSync(join(work, 'home-'));
    const pack = run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT });
    expect(pack.code, pack.stderr).toBe(0);
    const tarball = join(work, pack.stdout.trim().split('\n').at(-1) ?? '');
    const prefix = join(work, 'prefix');
    // --offline: the package must install from the tarball alone, as on a bastion host without a registry.
    const install = run('npm', ['install', '--prefix', prefix, tarball, '--offline', '--no-audit', '--no-fund'], {
      cwd: work,
    });
    expect(install.code, install.stderr).toBe(0);
    bin = join(prefix, 'node_modules', '.bin', 'atlas-restore');
    installed = join(prefix, 'node_modules', packageJson.name);
    sim = await startRealTimeSimulator();
  }, 180_000);

  afterAll(async () => {
    await sim?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds only the bundled CLI and declares no runtime dependencies', () => {
    // Act
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    const files = readdirSync(installed, { recursive: true, encoding: 'utf8' });

    // Assess
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.engines).toEqual({ node: packageJson.engines.node });
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
    expect(files).toContain(join('dist', 'cli', 'atlas-restore.mjs'));
  });

  it('prints its version from another directory', () => {
    // Act
    const elsewhere = mkdtempSync(join(work, 'elsewhere-'));
    const result = run(bin, ['--version'], { cwd: elsewhere });

    // Assess
    expect(result).toEqual({ code: 0, stdout: `atlas-restore ${packageJson.version}\n`, stderr: '' });
  });

  it('lists snapshots from the simulator, from another directory', async () => {
    // Prepare
    const { groupId, source, snapshotId } = addClusterPair(sim);
    const elsewhere = mkdtempSync(join(work, 'elsewhere-'));

    // Act
    const result = await runAsync(
      bin,
      ['snapshots', 'list', '--projectId', groupId, '--clusterName', source, '--json'],
      {
        cwd: elsewhere,
        env: atlasEnv(sim),
      },
    );

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([expect.objectContaining({ id: snapshotId, status: 'completed' })]);
  });
});

describe('Function: unsupportedNodeMessage', () => {
  it.each([
    ['24.0.0', '>=24', undefined],
    ['v24.21.0', '>=24', undefined],
    ['25.1.0', '>=24', undefined],
    ['22.13.0', '>=22.13', undefined],
  ])('accepts Node %s for %s', (version, range, expected) => {
    expect(unsupportedNodeMessage(version, range)).toBe(expected);
  });

  it.each([
    ['20.20.2', '>=24'],
    ['23.11.0', '>=24'],
    ['22.12.0', '>=22.13'],
  ])('names the range, the running version and what to install for Node %s under %s', (version, range) => {
    expect(unsupportedNodeMessage(version, range)).toMatch(
      new RegExp(
        `^needs Node\\.js ${range}, but this is Node\\.js v${version.replace(/\./g, '\\.')}: install Node\\.js \\d+ or later`,
      ),
    );
  });
});
