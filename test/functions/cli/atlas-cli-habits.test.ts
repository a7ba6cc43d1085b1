import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTomlTables } from '../../../functions/cli/atlas-cli-profile.ts';
import type { AtlasSimulator } from '../../atlas-simulator/index.ts';
import { addClusterPair, atlasEnv, runInProcess, startRealTimeSimulator } from './run-cli.ts';

describe('CLI: Atlas CLI habits', () => {
  let sim: AtlasSimulator;
  let home: string;
  beforeAll(async () => {
    sim = await startRealTimeSimulator();
    home = mkdtempSync(join(tmpdir(), 'atlas-restore-habits-'));
  });
  afterAll(async () => {
    await sim.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** An Atlas CLI config file as `atlas config init` writes it, under its own XDG_CONFIG_HOME. */
  function configHome(text: string): string {
    const directory = mkdtempSync(join(home, 'config-'));
    mkdirSync(join(directory, 'atlascli'));
    writeFileSync(join(directory, 'atlascli', 'config.toml'), text);
    return directory;
  }

  it.each([
    ['-o json', ['-o', 'json']],
    ['--output json', ['--output', 'json']],
    ['--output=json', ['--output=json']],
    ['--json', ['--json']],
  ])('prints JSON with %s', async (_name, flags) => {
    // Prepare
    const { groupId, source, snapshotId } = addClusterPair(sim);

    // Act
    const result = await runInProcess(
      ['snapshots', 'list', '--projectId', groupId, '--clusterName', source, ...flags],
      atlasEnv(sim),
    );

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([expect.objectContaining({ id: snapshotId })]);
  });

  it('prints a table with -o table, and refuses another output with the choices', async () => {
    // Prepare
    const { groupId, source, snapshotId } = addClusterPair(sim);
    const args = ['snapshots', 'list', '--projectId', groupId, '--clusterName', source];

    // Act
    const table = await runInProcess([...args, '-o', 'table'], atlasEnv(sim));
    const yaml = await runInProcess([...args, '-o', 'yaml'], atlasEnv(sim));

    // Assess
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^ID +STATUS[^\\n]*\\n${snapshotId} +completed`));
    expect(yaml).toMatchObject({ code: 2, stdout: '' });
    expect(yaml.stderr).toMatch(/^atlas-restore: --output: must be json or table \(got yaml\)/);
  });

  it('takes the project from MONGODB_ATLAS_PROJECT_ID when --projectId is not given, and the flag over it', async () => {
    // Prepare
    const { groupId, source, snapshotId } = addClusterPair(sim);
    const env = { ...atlasEnv(sim), MONGODB_ATLAS_PROJECT_ID: groupId };

    // Act
    const fromVariable = await runInProcess(['snapshots', 'list', '--clusterName', source, '--json'], env);
    const flagWins = await runInProcess(
      ['snapshots', 'list', '--projectId', 'ffffffffffffffffffffffff', '--clusterName', source, '--json'],
      env,
    );

    // Assess
    expect(fromVariable.code).toBe(0);
    expect(JSON.parse(fromVariable.stdout)).toEqual([expect.objectContaining({ id: snapshotId })]);
    expect(flagWins.code).toBe(1);
  });

  it('reads keys, project and output from the Atlas CLI profile, default or named', async () => {
    // Prepare
    const { groupId, source, snapshotId } = addClusterPair(sim);
    const { publicKey, privateKey } = sim.seed.credentials;
    const xdg = configHome(
      [
        '[default]',
        `  org_id = 'aaaaaaaaaaaaaaaaaaaaaaaa'`,
        `  project_id = '${groupId}'`,
        `  public_api_key = '${publicKey}'`,
        `  private_api_key = "${privateKey}"`,
        `  output = 'json'`,
        '',
        '[other]',
        `  project_id = 'ffffffffffffffffffffffff'`,
        `  public_api_key = '${publicKey}'`,
        `  private_api_key = '${privateKey}'`,
      ].join('\n'),
    );
    const env = { MONGODB_ATLAS_BASE_URL: sim.baseUrl, XDG_CONFIG_HOME: xdg };

    // Act
    const byDefault = await runInProcess(['snapshots', 'list', '--clusterName', source], env);
    const named = await runInProcess(['snapshots', 'list', '--clusterName', source, '-P', 'other'], env);
    const missing = await runInProcess(['snapshots', 'list', '--clusterName', source, '--profile', 'nope'], env);

    // Assess
    expect(byDefault.stderr).toBe('');
    expect(JSON.parse(byDefault.stdout)).toEqual([expect.objectContaining({ id: snapshotId })]);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/ffffffffffffffffffffffff/);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/--profile: no profile nope in the Atlas CLI config file \(it has default, other\)/);
  });
});

describe('Function: parseTomlTables', () => {
  it('reads tables with single-quoted, double-quoted and bare values, skipping comments', () => {
    expect(
      parseTomlTables(
        `# comment\n[default]\nproject_id = 'a'\nservice = "cloud"\nskip_update_check = true\n\n["my profile"]\noutput = 'json' # trailing\n`,
      ),
    ).toEqual(
      new Map([
        ['default', { project_id: 'a', service: 'cloud', skip_update_check: 'true' }],
        ['my profile', { output: 'json' }],
      ]),
    );
  });
});
