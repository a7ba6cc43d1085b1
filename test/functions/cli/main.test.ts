import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../functions/cli/atlas-restore.ts';

/** The CLI's entry point in-process, for the many ways a command line can be wrong (the process tests cover exits). */
async function runInProcess(argv: readonly string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString('utf8'));
        done();
      },
    });
  const code = await main(argv, {
    env,
    stdout: sink((text) => {
      stdout += text;
    }),
    stderr: sink((text) => {
      stderr += text;
    }),
  });
  return { code, stdout, stderr };
}

const PROJECT = ['--projectId', '0123456789abcdef01234567'];
// Nothing listens here: a command that reached Atlas would fail with exit 1, not 2.
const UNREACHABLE = {
  MONGODB_ATLAS_CLIENT_ID: 'id',
  MONGODB_ATLAS_CLIENT_SECRET: 'secret',
  MONGODB_ATLAS_BASE_URL: 'http://127.0.0.1:9',
};

describe('Function: main', () => {
  it.each([
    ['a missing flag', ['jobs', 'list', ...PROJECT], /--clusterName: is required/],
    ['a flag without its value', ['jobs', 'list', ...PROJECT, '--clusterName'], /--clusterName/],
    [
      'a bad project id',
      ['snapshots', 'list', '--projectId', 'prod', '--clusterName', 'prod'],
      /--projectId: must be 24 lowercase hex/,
    ],
    [
      'a cluster name with a slash',
      ['snapshots', 'list', ...PROJECT, '--clusterName', 'a/b'],
      /--clusterName: must start/,
    ],
    [
      'a cluster name over 64 characters',
      ['snapshots', 'list', ...PROJECT, '--clusterName', 'a'.repeat(65)],
      /--clusterName: Too big/,
    ],
    ['a missing job id', ['jobs', 'describe', ...PROJECT, '--clusterName', 'prod'], /JOB_ID: is required/],
    [
      'two job ids',
      ['jobs', 'describe', '0123456789abcdef01234567', '0123456789abcdef01234567', ...PROJECT, '--clusterName', 'prod'],
      /unexpected extra argument/,
    ],
    [
      'a stray argument',
      ['jobs', 'list', 'extra', ...PROJECT, '--clusterName', 'prod'],
      /unexpected positional argument/,
    ],
    ['an unknown command', ['jobs', 'delete'], /unknown command "jobs delete"/],
    ['a --json with a value', ['jobs', 'list', ...PROJECT, '--clusterName', 'prod', '--json=yes'], /--json/],
  ])('exits 2 with one line for %s', async (_case, argv, message) => {
    // Act
    const result = await runInProcess(argv, UNREACHABLE);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^atlas-restore: [^\n]+ \(see atlas-restore [a-z ]*--help\)\n$/);
    expect(result.stderr).toMatch(message);
  });

  it('prints usage on stderr and exits 2 without arguments, and per command with --help', async () => {
    // Act
    const bare = await runInProcess([]);
    const help = await runInProcess(['jobs', 'list', '--help']);

    // Assess
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(
      'atlas-restore snapshots list --projectId ID --clusterName NAME [--sharded] [--json]',
    );
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toBe(
      'Usage: atlas-restore jobs list --projectId ID --clusterName NAME [--json]\n  List the restore jobs of a cluster, newest first\n',
    );
  });

  it('refuses plain http to a remote host with one line and exit 1', async () => {
    // Act
    const result = await runInProcess(['jobs', 'list', ...PROJECT, '--clusterName', 'prod'], {
      ...UNREACHABLE,
      MONGODB_ATLAS_BASE_URL: 'http://atlas.example.com',
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "atlas-restore: listBackupRestoreJobs on cluster prod (project 0123456789abcdef01234567): credentials' base URL http://atlas.example.com must use https (plain http only for loopback hosts)\n",
    );
  });
});
