import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const README = join(ROOT, 'README.md');
const CLI = join(ROOT, 'functions', 'cli', 'atlas-restore.ts');
/** npm and the scripts it runs on this Node (24). */
const PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);

/** Markdown links to files of this repository (not web addresses, not anchors) in `file`. */
function relativeLinks(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0] ?? '');
}

/** The shell block the README says test/readme.test.ts runs. */
function checkedExamples(): string {
  const text = readFileSync(README, 'utf8');
  const marker = text.indexOf('is run by test/readme.test.ts');
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(marker));
  return block?.[1] ?? '';
}

describe('README.md', () => {
  it('stays under 300 lines', () => {
    expect(readFileSync(README, 'utf8').split('\n').length).toBeLessThanOrEqual(300);
  });

  it('links only to files that exist, as do the docs it links to', () => {
    // Prepare
    const docs = readdirSync(join(ROOT, 'docs')).map((name) => join(ROOT, 'docs', name));

    // Act
    const broken = [README, ...docs].flatMap((file) =>
      relativeLinks(file)
        .filter((target) => !existsSync(resolve(dirname(file), target)))
        .map((target) => `${file}: ${target}`),
    );

    // Assess
    expect(relativeLinks(README).length).toBeGreaterThan(5);
    expect(broken).toEqual([]);
  });
});

describe('the README examples, against `npm run sim -s -- --scale 60`', () => {
  let sim: ChildProcess;
  let printed: Record<string, string>;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'atlas-restore-readme-'));
    sim = spawn('npm', ['run', 'sim', '-s', '--', '--scale', '60'], {
      cwd: ROOT,
      env: { PATH, HOME: work, npm_config_cache: join(work, '.npm') },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    const [line] = await new Promise<string[]>((done) => {
      createInterface({ input: sim.stdout as NodeJS.ReadableStream }).once('line', (first) => done([first]));
    });
    // `-s`: the first line on stdout is the simulator's JSON, not npm's banner.
    printed = JSON.parse(line ?? '') as Record<string, string>;
    // An `atlas-restore` on PATH, as `npm install -g` would put there, running this checkout's CLI.
    writeFileSync(join(work, 'atlas-restore'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(work, 'atlas-restore'), 0o755);
  }, 60_000);

  afterAll(() => {
    if (sim?.pid) process.kill(-sim.pid, 'SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('runs every command of the checked block, each succeeding', async () => {
    // Prepare
    const script = checkedExamples();
    expect(script.match(/^atlas-restore /gm)?.length).toBeGreaterThanOrEqual(4);

    // Act
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        'sh',
        ['-e', '-c', script],
        {
          cwd: work,
          env: {
            PATH: [work, PATH].join(delimiter),
            HOME: work,
            XDG_STATE_HOME: join(work, 'state'),
            MONGODB_ATLAS_BASE_URL: printed.baseUrl,
            MONGODB_ATLAS_CLIENT_ID: printed.clientId,
            MONGODB_ATLAS_CLIENT_SECRET: printed.clientSecret,
            MONGODB_ATLAS_PROJECT_ID: printed.groupId,
          },
          timeout: 90_000,
        },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

    // Assess
    expect(result.stderr).not.toMatch(/atlas-restore: /);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(printed.completedSnapshotId);
    expect(result.stdout).toMatch(/"state": "submitted"/);
    expect(result.stdout).toMatch(/automated \(dry run\)/);
  }, 120_000);
});

describe('npm start -s -- --json', () => {
  it('prints only the report, as JSON, on stdout', async () => {
    // Act
    const home = mkdtempSync(join(tmpdir(), 'atlas-restore-npm-start-'));
    const result = await new Promise<{ code: number; stdout: string }>((done) => {
      execFile(
        'npm',
        ['start', '-s', '--', '--json', '--scenario', 'automated'],
        { cwd: ROOT, env: { PATH, HOME: home, npm_config_cache: join(home, '.npm') }, timeout: 110_000 },
        (error, stdout) => done({ code: error ? Number(error.code ?? 1) : 0, stdout }),
      );
    });

    rmSync(home, { recursive: true, force: true });

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ operation: { outcome: 'succeeded' } });
  }, 120_000);
});
