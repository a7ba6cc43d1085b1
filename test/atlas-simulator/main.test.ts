import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.ts';
import { digestAuthorization, rawRequest, V2023 } from './test-client.ts';

describe('npm run sim', () => {
  it('prints one JSON line with the URL, credentials, ids, connection strings, CA file and database users; the driver reads the source with them; exits cleanly on SIGTERM', async () => {
    // Prepare
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, [main, '--port', '0', '--scale', '60', '--snapshot-in-progress'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const [firstLine] = (await once(lines, 'line')) as [string];

    // Act
    const printed = JSON.parse(firstLine) as Record<string, string> & {
      connectionStrings: Record<string, string>;
      databaseUsers: { verifier: { username: string; password: string } };
    };
    const path = `/api/atlas/v2/groups/${printed.groupId}/clusters/${printed.sourceClusterName}/backup/snapshots/${printed.inProgressSnapshotId}`;
    const probe = await rawRequest(`${printed.baseUrl}${path}`, { method: 'GET', headers: {} });
    const nonce = /nonce="([^"]+)"/.exec(probe.headers['www-authenticate'] ?? '')?.[1] ?? '';
    const credentials = {
      publicKey: printed.publicKey ?? '',
      privateKey: printed.privateKey ?? '',
      clientId: '',
      clientSecret: '',
    };
    const snapshot = await rawRequest(`${printed.baseUrl}${path}`, {
      method: 'GET',
      headers: { accept: V2023, authorization: digestAuthorization(credentials, 'GET', path, nonce, 1) },
    });
    const driver = new MongoClient(printed.connectionStrings[printed.sourceClusterName ?? ''] ?? '', {
      auth: printed.databaseUsers.verifier,
      tlsCAFile: printed.caFile ?? '',
      serverSelectionTimeoutMS: 5000,
    });
    const newestHeartbeat = await driver
      .db('atlas_restore')
      .collection('heartbeats')
      .find()
      .sort({ seq: -1 })
      .limit(1)
      .toArray()
      .finally(() => driver.close());
    child.kill('SIGTERM');
    const [exitCode] = await once(child, 'exit');

    // Assess
    expect(Object.keys(printed).sort()).toEqual(
      [
        'baseUrl',
        'caFile',
        'connectionStrings',
        'databaseUsers',
        'clientId',
        'clientSecret',
        'completedSnapshotId',
        'groupId',
        'inProgressSnapshotId',
        'privateKey',
        'publicKey',
        'sourceClusterName',
        'targetClusterName',
      ].sort(),
    );
    expect(printed.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(snapshot.status).toBe(200);
    expect(snapshot.json).toMatchObject({ id: printed.inProgressSnapshotId, snapshotType: 'onDemand' });
    expect(Object.keys(printed.connectionStrings).sort()).toEqual(
      [printed.sourceClusterName, printed.targetClusterName].sort(),
    );
    expect(newestHeartbeat[0]).toMatchObject({ writer: 'seed', seq: 36 * 60 });
    expect(exitCode).toBe(0);
  });
});

describe('SimulatedClock', () => {
  it('advances by steps, runs at its scale, and freezes at scale 0', async () => {
    // Prepare
    const clock = new SimulatedClock({ start: 1_000_000, scale: 0 });

    // Act
    const frozen = clock.now();
    clock.advance(5_000);
    const stepped = clock.now();
    clock.setScale(1_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const running = clock.now();

    // Assess
    expect(frozen).toBe(1_000_000);
    expect(stepped).toBe(1_005_000);
    expect(running).toBeGreaterThanOrEqual(1_005_000 + 15_000);
  });

  it('refuses negative steps and scales', () => {
    // Prepare
    const clock = new SimulatedClock({ scale: 0 });

    // Act and assess
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.setScale(-2)).toThrow(RangeError);
    expect(() => new SimulatedClock({ scale: Number.NaN })).toThrow(RangeError);
  });
});

describe('npm run sim --help', () => {
  it('documents every option on stdout, and refuses an unknown one in one line with exit 2', async () => {
    // Prepare
    const { spawnSync } = await import('node:child_process');
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));

    // Act
    const help = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    const wrong = spawnSync(process.execPath, [main, '--sacle', '60'], { encoding: 'utf8' });

    // Assess
    expect(help.status).toBe(0);
    for (const option of ['--port', '--scale', '--snapshot-in-progress', '--sharded', '--help']) {
      expect(help.stdout).toContain(option);
    }
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^atlas simulator: Unknown option '--sacle'[^\n]*\(see --help\)\n$/);
  });
});
